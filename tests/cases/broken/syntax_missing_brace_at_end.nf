module Sales

entity Order {
  Total: Decimal
}

offline {
  Order: all
}

nanoflow ACT_Order_Save($order: Order) {
  if $order/Total > 0 {
    commit $order
  }
// the closing brace of the flow is missing: the file ends inside its body
//~ NF003 @17:1 unexpected end of file
