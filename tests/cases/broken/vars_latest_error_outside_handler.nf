module Sales

entity Order {
  Total: Decimal
}

offline {
  Order: all
}

nanoflow ACT_Order_Save($order: Order) {
  commit $order on error {
    log warning 'Commit failed: ' + $latestError
  }
  synchronize $order
  show message error 'Last error: ' + $latestError
//~ NF201 @39 `$latestError`
}

microflow MF_Order_Check($order: Order) returns Boolean {
  if $latestError != empty {
//~ NF201 @6 `$latestError`
    return false
  }
  return true
}
