module Sales

entity Order {
  Total: Decimal
  PlacedAt: DateTime
}

nanoflow ACT_Order_Arity($order: Order, $orders: List of Order) returns String {
  declare $rounded: Decimal = round()
//~ NF303 @31 round
  declare $upper: String = toUpperCase('a', 'b')
//~ NF303 @28 toUpperCase
  declare $due: DateTime = addDays($order/PlacedAt)
//~ NF303 @28 addDays
  declare $count: Integer = count()
//~ NF303 @29 count
  declare $total: Decimal = sum($orders)
//~ NF303 @29 sum
  return $upper + toString($rounded) + toString($due) + toString($count) + toString($total)
}
