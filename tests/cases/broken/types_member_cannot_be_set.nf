module Sales

entity Customer {
  Name: String
}

entity Order {
  Number: AutoNumber
  Total: Decimal
}

association Order_Customer from Order to Customer

offline {
  Order: all
  Customer: all
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
