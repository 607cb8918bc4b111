module Sales

enumeration OrderStatus {
  Draft 'Draft'
  Placed 'Placed'
  Shipped 'Shipped'
}

entity Order {
  Status: OrderStatus = Drafted
//~ NF105 @25 Drafted
}

offline {
  Order: all
}

nanoflow ACT_Order_Ship($order: Order) {
  change $order (Status = OrderStatus.Shiped)
//~ NF105 @27 Shiped
  switch $order/Status {
    case Draft { log info 'draft' }
    case Shiped { log info 'shipped' }
//~ NF105 @10 Shiped
    else { log info 'other' }
  }
}
