module Sales

entity Order {
  Total: Decimal
}

offline {
  Order: all
}

nanoflow ACT_Orders_Push($orders: List of Order) {
  synchronize $orders
  synchronize to device $orders
//~ NF503 @3 synchronize to device
}
