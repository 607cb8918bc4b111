module Sales

enumeration OrderStatus {
  Draft 'Draft'
  Placed 'Placed'
  Shipped 'Shipped to customer'
}

entity Customer with owner {
  Name: String(200) required
  Active: Boolean = true
}

entity Order with owner {
  Number: AutoNumber
  Total: Decimal = 0
  Status: OrderStatus = Draft
  PlacedAt: DateTime
}

association Order_Customer from Order to Customer

role User

access Order for User {
  create, read *
  write (Status, Total, PlacedAt, Order_Customer)
  where [System.owner = '[%CurrentUser%]']
}

access Customer for User {
  read *
}

offline {
  Order: all
  Customer: by xpath [Active = true]
}

nanoflow ACT_Order_Place($order: Order) returns Boolean {
  if $order/Total <= 0 {
    show message warning 'Order ' + toString($order/Number) - ' is empty.'
//~ NF301 @26 String
    return false
  }
  change $order (Status = OrderStatus.Placed, PlacedAt = [%CurrentDateTime%])
  commit $order
  synchronize $order on error {
    log warning 'Could not synchronize: ' + $latestError
    return false
  }
  $customer = retrieve $order/Order_Customer
  if $customer/Active {
    return true
  }
}
//~ NF309 @56:1

microflow MF_Orders_Open($customer: Customer) returns List of Order {
  $orders = retrieve Order where [Order_Customer = $customer and Stauts = 'Placed']
//~ NF102 @66 Stauts help: Status
  if count($orders) = 0 {
    show message info 'No open orders.'
//~ NF501 @5 show message
  }
  return $orders
}
