module Sales

enumeration Priority {
  Low 'Low'
  High 'High'
}

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

page Order_Edit($order: Order)
action Print($text: String, $copies: Integer)

nanoflow SUB_Order_Update($order: Order, $count: Integer, $priority: Priority) {
  log info toString($count) + getCaption($priority)
}

microflow MF_Order_Total($limit: Decimal) returns Decimal allow User {
  return $limit
}

role User

nanoflow ACT_Order_Main($order: Order, $customer: Customer) {
  call nanoflow SUB_Order_Update(order = $customer, count = 'x', priority = Priority.High)
//~ NF304 @42 Customer
//~ NF304 @61 String
  call nanoflow SUB_Order_Update(order = $order, count = 1, priority = 'High')
//~ NF304 @72 String
  show page Order_Edit(order = $customer)
//~ NF304 @32 Customer
  call action Print(text = $order, copies = 2.5)
//~ NF304 @28 Order
//~ NF304 @45 Decimal
  $total = call microflow MF_Order_Total(limit = true)
//~ NF304 @50 Boolean
}
