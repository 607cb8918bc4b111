module Sales

entity Order {
  Total: Decimal
  PlacedAt: DateTime
  Note: String
}

nanoflow ACT_Order_Format($order: Order) returns String {
  declare $rounded: Decimal = round('x', 2)
//~ NF302 @37 round
  declare $size: Integer = length(1)
//~ NF302 @35 length
  declare $due: DateTime = addDays('a', 1)
//~ NF302 @36 addDays
  declare $later: DateTime = addDays($order/PlacedAt, 1.5)
//~ NF302 @55 addDays
  declare $upper: String = toUpperCase($order/Total)
//~ NF302 @40 toUpperCase
  declare $part: String = substring($order/Note, 'a')
//~ NF302 @50 substring
  declare $text: String = formatDateTime($order/Note, 'yyyy-MM-dd')
//~ NF302 @42 formatDateTime
  return $upper + $part + $text + toString($rounded) + toString($size) + toString($due)
}
