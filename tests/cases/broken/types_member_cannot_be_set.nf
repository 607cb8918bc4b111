module Sales

entity Customer {
  Name: String
}

entity Order {
  Number: AutoNumber
  Total: Decimal
}

association Order_Customer from Order to Customer

entity Note with owner {
  Text: String
}

offline {
  Order: all
  Customer: all
  Note: all
}

nanoflow ACT_Order_Edit($order: Order, $customer: Customer) {
  change $order (Number = 5, Total = 10)
//~ NF315 @18 Number
  $copy = create Order (Number = 1)
//~ NF315 @25 Number
  change $customer (Order_Customer = $order)
//~ NF315 @21 Order_Customer
  // Fine: the owner sets the association.
  change $order (Order_Customer = $customer)
}

nanoflow ACT_Note_Give($note: Note, $user: System.User) {
  change $note (System.owner = $user)
//~ NF315 @17 only a microflow may reassign it
  $copy = create Note (Text = 'copy', System.owner = $user)
//~ NF315 @39 only a microflow
}

// Fine: a microflow may hand an object to another user.
microflow Note_Give($note: Note, $user: System.User) {
  change $note (System.owner = $user)
  commit $note
}
