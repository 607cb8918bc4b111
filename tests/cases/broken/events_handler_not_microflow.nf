module Sales

entity Customer {
  Name: String
}

entity Order {
  Total: Decimal
  on before commit ACT_Order_Validate
//~ NF509 @20 ACT_Order_Validate
  on after commit MF_Customer_Touch
//~ NF509 @19 MF_Customer_Touch
  on before delete MF_Order_Compare
//~ NF509 @20 MF_Order_Compare
  on after delete MF_Nothing
//~ NF509 @19 MF_Nothing
  // Fine: a microflow taking an Order.
  on after commit ACo_Order
}

nanoflow ACT_Order_Validate($order: Order) returns Boolean {
  return $order/Total >= 0
}

microflow MF_Customer_Touch($customer: Customer) {
  log info $customer/Name
}

microflow MF_Order_Compare($order: Order, $other: Order) returns Boolean {
  return $order/Total = $other/Total
}

microflow MF_Nothing() {
  log info 'deleted'
}

microflow ACo_Order($order: Order) {
  log info 'committed ' + toString($order/Total)
}
