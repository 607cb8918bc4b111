module Sales

entity Customer {
  Name: String
}

entity Order {
  Total: Decimal
}

association Order_Customer from Order to Customer

offline {
  Order: all
  Customer: all
}

nanoflow ACT_Order_Customer($order: Order) returns String {
  $customer = retrieve $order/Order_Custmer
//~ NF103 @31 Order_Custmer help: Order_Customer
  return $order/Order_Customer/Name
}

microflow MF_Customer_Orders($customer: Customer) returns List of Order {
  $orders = retrieve $customer/Customer_Order
//~ NF103 @32 Customer_Order
  return $orders
}
