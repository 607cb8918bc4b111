module Sales

entity Order {
  Total: Decimal
}

offline {
  Order: all
}

nanoflow ACT_Orders_Commit($orders: List of Order) {
  for $order in $orders {
//~ NF402 @15:5 loop
    commit $order
  } on error {
    log error 'Commit failed: ' + $latestError
  }
  declare $tries: Integer = 0
  while $tries < 3 {
//~ NF402 @22:5 loop
    set $tries = $tries + 1
  } on error continue
  // Fine: a handler on an if (for errors in its condition) and on an activity.
  if count($orders) > 0 {
    commit $orders
  } on error {
    log error $latestError
  }
}
