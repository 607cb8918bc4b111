module Sales

entity Order {
  Note: String
}

nanoflow ACT_Order_Note($order: Order) {
  change $order (Note = 'Rush order)
//~ NF002 @25 unterminated string
}
