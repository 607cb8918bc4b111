module Sales

entity Order {
  Total: Decimal
}

entity Tag {
  Name: String
}

offline {
  Order: all
  Tag: nothing preserve
}

microflow MF_Sync($order: Order, $orders: List of Order) {
  synchronize all
//~ NF502 @3 synchronize
  synchronize unsynchronized
//~ NF502 @3 synchronize
  synchronize $order, $orders
//~ NF502 @3 synchronize
  cancel synchronization
//~ NF502 @3 cancel synchronization
  clear from device Tag
//~ NF502 @3 clear from device
  // Fine: a microflow may push objects onto the calling device.
  synchronize to device $orders
}
