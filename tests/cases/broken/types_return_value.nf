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

nanoflow ACT_Orders_Count($orders: List of Order) returns Integer {
  if isEmpty($orders) {
    return 'none'
//~ NF308 @12 String
  }
  return count($orders)
}

nanoflow ACT_Log() {
  log info 'logged'
  return 1
//~ NF308 @10
}

nanoflow ACT_Flag() returns Boolean {
  if true {
    return
//~ NF308 @5
  }
  return false
}

microflow MF_Order_New() returns Order {
  $customer = create Customer (Name = 'x')
  return $customer
//~ NF308 @10 Customer
}

microflow MF_Orders($order: Order) returns List of Order {
  return $order
//~ NF308 @10
}
