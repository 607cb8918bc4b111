module Sales

entity Order {
  Total: Decimal
  Note: String
}

nanoflow ACT_Orders_Stats($orders: List of Order, $order: Order) {
  declare $sum: Decimal = sum($orders, Nme)
//~ NF102 @40 Nme
  declare $notes: Decimal = sum($orders, Note)
//~ NF302 @42 sum
  declare $found: Order = find($orders, Total, 'abc')
//~ NF302 @48 find
  declare $average: Decimal = average($order, Total)
//~ NF302 @39 average
  declare $sorted: List of Order = sort($orders, Totl desc)
//~ NF102 @50 Totl help: Total
  declare $count: Integer = count(5)
//~ NF302 @35 count
  declare $open: List of Order = filterWhere($orders, $currentObject/Note)
//~ NF302 @55 filterWhere
}
