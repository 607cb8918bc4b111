module Sales

entity Order {
  Total: Decimal
  on before commit BCo_Ordr
//~ NF106 @20 BCo_Ordr help: BCo_Order
}

offline {
  Order: all
}

microflow BCo_Order($order: Order) returns Boolean {
  return $order/Total >= 0
}

nanoflow ACT_Order_Reload($order: Order) {
  synchronize $order
}

nanoflow ACT_Order_Save($order: Order) {
  commit $order
  call nanoflow ACT_Order_Relaod(order = $order)
//~ NF106 @17 ACT_Order_Relaod help: ACT_Order_Reload
  $count = call microflow MF_CountOrders()
//~ NF106 @27 MF_CountOrders
}
