module Sales

enumeration OrderStatus {
  Draft 'Draft'
  Placed 'Placed'
}

entity Order {
  Status: OrderStatus
  Priority: OrderPriority
//~ NF104 @13 OrderPriority
  Total: Decmal
//~ NF104 @10 Decmal help: Decimal
}

nanoflow ACT_Order_Plan($order: Order, $when: Datetime) returns OrderStatuss {
//~ NF104 @47 Datetime help: DateTime
//~ NF104 @65 OrderStatuss help: OrderStatus
  return $order/Status
}
