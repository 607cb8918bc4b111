module Sales

enumeration OrderStatus {
  Draft 'Draft'
  Placed 'Placed'
}

entity Order {
  Total: Decimal
  Status: OrderStatus
}

offline {
  Order: all
}

role User

microflow MF_Order_Recalculate($order: Order) allow User {
  change $order (Total = 0)
  commit $order
}

microflow MF_Orders_Open($limit: Integer) returns List of Order allow User {
  $orders = retrieve Order limit $limit
  return $orders
}

microflow MF_Order_Newest() returns Order allow User {
  $order = retrieve first Order
  return $order
}

microflow MF_Orders_Count($status: OrderStatus) returns Integer allow User {
  $orders = retrieve Order
  return count($orders)
}

nanoflow ACT_Orders_Refresh($order: Order) {
  call microflow MF_Order_Recalculate(order = $order)
//~ NF505 @18 MF_Order_Recalculate
  $open = call microflow MF_Orders_Open(limit = 10)
//~ NF505 @26 MF_Orders_Open
  $newest = call microflow MF_Order_Newest()
//~ NF505 @28 MF_Order_Newest
  // Fine: primitive values and enumerations.
  $count = call microflow MF_Orders_Count(status = OrderStatus.Placed)
}

// Fine: microflows may pass objects to each other.
microflow MF_Orders_All() returns List of Order {
  call microflow MF_Order_Recalculate(order = empty)
  $open = call microflow MF_Orders_Open(limit = 0)
  return $open
}
