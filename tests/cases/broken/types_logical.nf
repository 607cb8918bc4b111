module Sales

entity Order {
  Total: Decimal
  Note: String
  Paid: Boolean
}

nanoflow ACT_Order_Check($order: Order) returns Boolean {
  declare $a: Boolean = $order/Paid and $order/Note
//~ NF301 @41 String
  declare $b: Boolean = $order/Total or false
//~ NF301 @25 Decimal
  declare $c: Boolean = not($order/Total)
//~ NF301 @25 Decimal
  return $a and $b and $c
}
