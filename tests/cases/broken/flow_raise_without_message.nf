module Sales

entity Order {
  Total: Decimal
}

offline {
  Order: all
}

nanoflow ACT_Order_Save($order: Order) {
  if $order/Total < 0 {
    raise
//~ NF403 @5 raise
  }
  commit $order on error {
    log error 'Commit failed: ' + $latestError
    if $order/Total > 1000 {
      raise
    }
    raise 'Could not save the order: ' + $latestError
  }
  synchronize $order on error {
    raise
  }
}

microflow MF_Orders_Check($orders: List of Order) {
  for $order in $orders {
    raise
//~ NF403 @5 raise
  }
}
