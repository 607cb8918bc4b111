module Sales

entity Order {
  Total: Decimal
}

page Order_Edit($order: Order)

microflow MF_Order_Place($order: Order) returns Boolean {
  if $order/Total <= 0 {
    show message warning 'An order needs at least one line.'
//~ NF501 @5 show message
    validation feedback $order/Total 'The total must be positive.'
//~ NF501 @5 validation feedback
    return false
  }
  // Fine: log runs in both kinds of flow.
  log info 'Placing an order'
  log warning node 'Orders' 'Placing'
  show page Order_Edit(order = $order)
//~ NF501 @3 show page
  close page
//~ NF501 @3 close page
  return true
}
