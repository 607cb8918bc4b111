module Sales

entity Order {
  Total: Decimal
}

offline {
  Order: all
}

nanoflow ACT_Orders_Walk($orders: List of Order) {
  for $order in $orders {
    set $currentIndex = 0
//~ NF205 @9 `$currentIndex`
    set $order = empty
//~ NF205 @9 `$order`
  }
  commit $orders on error {
    set $latestError = 'ignored'
//~ NF205 @9 `$latestError`
  }
}
