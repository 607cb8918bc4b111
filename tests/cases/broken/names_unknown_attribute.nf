module Sales

enumeration OrderStatus {
  Draft 'Draft'
  Placed 'Placed'
}

entity Order {
  Total: Decimal
  Status: OrderStatus = Draft
  Note: String
  index (Status, Totl)
//~ NF102 @18 Totl help: Total
}

offline {
  Order: all
}

nanoflow ACT_Order_Edit($order: Order) {
  if $order/Totl > 100 {
//~ NF102 @13 Totl help: Total
    change $order (Stauts = OrderStatus.Placed)
//~ NF102 @20 Stauts help: Status
  }
  $copy = create Order (Nte = 'copy')
//~ NF102 @25 Nte help: Note
  validation feedback $order/Notes 'Please add a note.'
//~ NF102 @30 Notes help: Note
}
