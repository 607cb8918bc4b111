module Sales

entity Order {
  Note: String
}

nanoflow ACT_Order_Saved($order: Order) {
  show message info "Order saved."
//~ NF002 @21 "
}
