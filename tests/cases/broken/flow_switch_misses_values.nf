module Sales

enumeration OrderStatus {
  Draft 'Draft'
  Placed 'Placed'
  Shipped 'Shipped'
}

entity Order {
  Status: OrderStatus
}

nanoflow ACT_Order_Describe($order: Order) {
  switch $order/Status {
//~ NF310 @3 Shipped
    case Draft { log info 'draft' }
    case Placed { log info 'placed' }
    case empty { log info 'none' }
  }
  switch $order/Status {
//~ NF310 @3 empty
    case Draft { log info 'draft' }
    case Placed, Shipped { log info 'sent' }
  }
  // Fine: `else` covers the rest.
  switch $order/Status {
    case Draft { log info 'draft' }
    else { log info 'other' }
  }
}
