module Sales

entity Customer {
  Name: String
}

entity Order {
  Total: Decimal
  PlacedAt: DateTime
  Quantity: Integer
}

association Order_Customer from Order to Customer

offline {
  Order: all
  Customer: all
}

nanoflow ACT_Order_Assign($order: Order, $customer: Customer) {
  declare $count: Integer = 'x'
//~ NF304 @29 String
  declare $ratio: Integer = 1.5
//~ NF304 @29 Decimal
  declare $ok: Boolean = true
  set $ok = 'yes'
//~ NF304 @13 String
  change $order (Total = 'abc')
//~ NF304 @26 String
  change $order (PlacedAt = 5, Quantity = $order/Total)
//~ NF304 @29 Integer
//~ NF304 @43 Decimal
  change $order (Order_Customer = $order)
//~ NF304 @35 Order
  declare $orders: List of Order
  set $orders = $customer
//~ NF304 @17 Customer
  // Fine: integers widen to Decimal and Long, and empty fits anything.
  declare $total: Decimal = 10
  declare $big: Long = $count
  change $order (Total = $count, PlacedAt = empty, Order_Customer = $customer)
}
