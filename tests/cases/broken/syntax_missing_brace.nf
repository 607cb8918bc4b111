module Sales

entity Order {
  Total: Decimal
}

offline {
  Order: all
}

nanoflow ACT_Order_Check($order: Order) {
  if $order/Total > 1000 {
    log info 'A large order'
  }
  log info 'Checked'
// the closing brace of ACT_Order_Check is missing

nanoflow ACT_Order_Save($order: Order) {
//~ NF001 @1 unexpected `nanoflow`
  commit $order
}
