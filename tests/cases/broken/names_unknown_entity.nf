module Sales

entity Order {
  Total: Decimal
}

entity OrderLine {
  Quantity: Integer
}

entity SpecialOrder extends Ordr {
//~ NF101 @29 Ordr help: Order
  Reason: String
}

association OrderLine_Order from OrderLine to Oder
//~ NF101 @47 Oder help: Order

offline {
  Order: all
  OrderLine: all
}

nanoflow ACT_Order_New() {
  $order = create Ordre (Total = 0)
//~ NF101 @19 Ordre help: Order
  $lines = retrieve OrderLines where [Quantity > 0]
//~ NF101 @21 OrderLines help: OrderLine
  $list = create list of Orderline
//~ NF101 @26 Orderline help: OrderLine
}
