module Sales

enumeration OrderStatus {
  Draft 'Draft'
  Placed 'Placed'
}

entity Order {
  Total: Decimal
  Status: OrderStatus
  PlacedAt: DateTime
  Paid: Boolean
}

nanoflow ACT_Order_Compare($order: Order) returns Boolean {
  if $order/Total = 'abc' {
//~ NF301 @6 String
    return false
  }
  if $order/PlacedAt > 5 {
//~ NF301 @6 DateTime
    return false
  }
  if $order/Status = 3 {
//~ NF301 @6 OrderStatus
    return false
  }
  if $order/Paid < true {
//~ NF301 @6 Boolean
    return false
  }
  // Fine: an enumeration with the string of a key, numbers of different types, and empty.
  return $order/Status = 'Placed' and $order/Total > 5 and $order/PlacedAt != empty
}
