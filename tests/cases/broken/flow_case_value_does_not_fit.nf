module Sales

enumeration OrderStatus {
  Draft 'Draft'
  Placed 'Placed'
}

entity Order {
  Status: OrderStatus
  Paid: Boolean
}

nanoflow ACT_Order_Cases($order: Order) {
  switch $order/Status {
    case Draft { log info 'draft' }
    case true { log info 'true?' }
//~ NF311 @10 true
    else { log info 'other' }
  }
  switch $order/Paid {
    case true { log info 'paid' }
    case Placed { log info 'placed?' }
//~ NF311 @10 Placed
    else { log info 'unpaid' }
  }
}
