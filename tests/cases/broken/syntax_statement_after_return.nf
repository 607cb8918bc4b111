module Sales

entity Order {
  Total: Decimal
}

nanoflow ACT_Order_Check($order: Order) returns Boolean {
  if $order/Total <= 0 {
    return false
    log warning 'An empty order'
//~ NF001 @5 unexpected `log`
  }
  return true
}
