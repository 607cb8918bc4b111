module Sales

entity Order {
  Note: String
}

offline {
  Order: all
}

page Order_Edit($order: Order)

nanoflow SUB_Order_Note($order: Order, $text: String) {
  change $order (Note = $text)
}

nanoflow ACT_Order_Main($order: Order) {
  call nanoflow SUB_Order_Note(order = $order, txt = 'rush')
//~ NF111 @48 txt help: text
//~ NF112 @17 text
  call nanoflow SUB_Order_Note(order = $order)
//~ NF112 @17 text
  show page Order_Edit()
//~ NF112 @13 order
  show page Order_Edit(order = $order, mode = 'edit')
//~ NF111 @40 mode
}
