module Sales

entity Customer {
  Name: String
}

entity Order {
  Total: Decimal
}

offline {
  Order: all
  Customer: all
}

nanoflow ACT_Not_Lists($order: Order, $customer: Customer, $count: Integer, $orders: List of Order) {
  for $item in $order {
//~ NF307 @16 list
    log info 'item'
  }
  add $customer to $order
//~ NF307 @20 list
  remove $order from $count
//~ NF307 @22 list
  clear $customer
//~ NF307 @9 list
  add $customer to $orders
//~ NF304 @7 Customer
  // Fine: add takes an object or a list of the list's entity.
  add $order to $orders
  add $orders to $orders
}
