module Sales

entity Order {
  Number: AutoNumber
  Total: Decimal
}

nanoflow ACT_Order_Label($order: Order) returns String {
  declare $prefix: String = 'Order ' - 1
//~ NF301 @29 String
  declare $label: String = $prefix + toString($order/Number)
  return $label + ': ' + toString($order/Total) - ' EUR'
//~ NF301 @10 String
}
