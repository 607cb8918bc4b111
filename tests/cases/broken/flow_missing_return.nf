module Sales

enumeration OrderStatus {
  Draft 'Draft'
  Placed 'Placed'
  Shipped 'Shipped'
}

entity Order {
  Total: Decimal
  Status: OrderStatus
}

nanoflow ACT_Order_IsLarge($order: Order) returns Boolean {
  if $order/Total > 1000 {
    return true
  }
}
//~ NF309 @18:1 return

nanoflow ACT_Orders_First($orders: List of Order) returns Order {
  for $order in $orders {
    return $order
  }
}
//~ NF309 @25:1

microflow MF_Order_Size($order: Order) returns String {
  if $order/Total > 1000 {
    return 'large'
  } else if $order/Total > 100 {
    return 'medium'
  }
}
//~ NF309 @34:1

nanoflow ACT_Order_Check($order: Order) returns Boolean {
  commit $order on error {
    return false
  }
  if $order/Total < 0 {
    raise 'negative total'
  } else {
    log info 'fine'
  }
  } // the flow's closing brace, indented
//~ NF309 @46:3

// Fine: every path returns or raises, and a switch with every value and empty is exhaustive.
microflow MF_Order_Kind($order: Order) returns String {
  switch $order/Status {
    case Draft { return 'draft' }
    case Placed, Shipped { return 'sent' }
    case empty { raise 'no status' }
  }
}

nanoflow ACT_Not_Yet() returns Integer {
  raise 'not implemented'
}

offline {
  Order: all
}
