module Sales

enumeration OrderStatus {
  Draft 'Draft'
  Placed 'Placed'
}

entity Order {
  Total: Decimal
  Status: OrderStatus
  PlacedAt: DateTime
  Note: String
  Paid: Boolean
}

nanoflow ACT_Order_Compute($order: Order) {
  declare $a: Decimal = $order/Total * 2
  declare $b = $order/Paid + 1
//~ NF301 @16 Boolean
  declare $c = $order/PlacedAt * 2
//~ NF301 @16 DateTime
  declare $d = $order/Status + 1
//~ NF301 @16 OrderStatus
  declare $e = -$order/Note
//~ NF301 @16 String
  declare $f = $order/Total mod 'x'
//~ NF301 @16 String
  declare $g = $order/PlacedAt + 1
//~ NF301 @16 DateTime
  declare $h: String = 'Placed at ' + $order/PlacedAt + ', paid: ' + $order/Paid
  log info $h + toString($a)
}
