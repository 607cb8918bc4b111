module Sales

entity Customer {
  Name: String
}

entity Order {
  Total: Decimal
  Note: String
}

association Order_Customer from Order to Customer

offline {
  Order: all
  Customer: all
}

nanoflow ACT_Not_Objects($count: Integer, $name: String, $orders: List of Order) {
  commit $count
//~ NF306 @10 `$count`
  change $name (Note = 'x')
//~ NF306 @10 `$name`
  change $orders (Note = 'x')
//~ NF306 @10 `$orders`
  log info $name + toString($count/Total)
//~ NF306 @29 `$count`
  validation feedback $name/Note 'Required'
//~ NF306 @23 `$name`
  $customer = retrieve $orders/Order_Customer
//~ NF306 @24 `$orders`
  $order = cast $count to Order
//~ NF306 @17 `$count`
  delete $name
//~ NF306 @10 `$name`
  // Fine: commit and delete take lists too.
  commit $orders
  delete $orders
}
