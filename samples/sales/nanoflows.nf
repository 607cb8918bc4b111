module Sales

// Nanoflows: they run on the device, against its offline store.

// Places an order: checks it, marks it placed and synchronizes it to the server.
nanoflow ACT_Order_Place($order: Order, $note: String) returns Boolean {
  if $order/Total <= 0 {
    show message warning 'An order needs at least one line.'
    return false
  }
  change $order (Status = OrderStatus.Placed, PlacedAt = [%CurrentDateTime%], Note = $note)
  commit $order
  synchronize $order on error {
    log warning 'Could not synchronize: ' + $latestError
    return false
  }
  return $order != empty
}

// Writes a line to the log, under the node 'Sales'.
nanoflow Log($text: String) {
  log info node 'Sales' $text
}

// Starts a draft order for a customer and opens it.
nanoflow ACT_Order_New($customer: Customer) returns Order allow User, Manager {
  if $customer = empty {
    show message warning 'Choose a customer first.'
    return empty
  }
  if not($customer/Active) {
    show message warning 'Customer ' + $customer/Name + ' is not active.'
    return empty
  }
  $order = create Order (Order_Customer = $customer)
  commit $order
  show page Order_Edit(order = $order)
  return $order
}

// Adds a line to an order and brings the order's total up to date.
nanoflow ACT_Order_AddLine(
  $order: Order, $product: String, $quantity: Integer, $unitPrice: Decimal
) returns OrderLine allow User, Manager {
  $line = create OrderLine (
    Product = $product,
    Quantity = $quantity,
    UnitPrice = $unitPrice,
    Amount = $quantity * $unitPrice,
    OrderLine_Order = $order
  )
  if $quantity <= 0 {
    validation feedback $line/Quantity 'Enter a quantity above zero.'
    rollback $line                                  // never committed: discarded
    return empty
  }
  commit $line on error {
    show message error $latestError                // e.g. the product is required
    rollback $line
    return empty
  }
  call nanoflow ACT_Order_Recalculate(order = $order)
  return $line
}

// Recomputes the line amounts and the order total from the lines on the device.
nanoflow ACT_Order_Recalculate($order: Order) returns Decimal {
  $lines = retrieve $order/OrderLine_Order
  for $line in $lines {
    change $line (Amount = $line/Quantity * $line/UnitPrice)
  }
  commit $lines
  declare $total = sum($lines, Amount)
  change $order (Total = $total)
  commit $order
  log debug node 'Sales' toString(sum($lines, Quantity)) + ' items, total ' + toString($total)
  return $total
}

// Recalculates, places and synchronizes an order, then tells the user how it went.
nanoflow ACT_Order_Submit($order: Order) returns Boolean allow User, Manager {
  $total = call nanoflow ACT_Order_Recalculate(order = $order)
  $placed = call nanoflow Sales.ACT_Order_Place(order = $order, note = $order/Note)
  if not($placed) {
    return false
  }
  $open = call microflow Sales.CountOpenOrders(limit = 100) on error {
    call nanoflow Log(text = 'Could not count open orders: ' + $latestError)
    return true                                     // the order itself is placed
  }
  if $open >= 100 {
    show message warning 'You have ' + toString($open) + ' or more open orders.' blocking
  } else {
    show message info 'Order ' + toString($order/Number) + ' placed: '
      + formatDecimal($total, '#,##0.00')
  }
  return true
}

// A short description of where an order stands.
nanoflow DS_Order_StatusText($order: Order) returns String {
  switch $order/Status {
    case Draft { return 'Not placed yet' }
    case Placed { return 'Placed on ' + formatDateTime($order/PlacedAt, 'yyyy-MM-dd HH:mm') }
    case Shipped { return getCaption($order/Status) }
    case empty { return 'Unknown' }
  }
}

// Tags an order (managers only: users may not write Order_Tags).
nanoflow ACT_Order_AddTag($order: Order, $tagName: String) allow Manager {
  $tag = retrieve first Tag where [Name = $tagName]
  if $tag = empty {
    show message warning 'There is no tag ''' + $tagName + '''.'
    return
  }
  $tags = retrieve $order/Order_Tags
  if contains($tags, $tag) {
    return
  }
  add $tag to $tags
  change $order (Order_Tags = $tags)
  commit $order
}

// Attaches a photo (a file on the device) to an order.
nanoflow ACT_Order_AttachPhoto($order: Order, $path: String, $caption: String)
  returns OrderPhoto allow User, Manager {
  $photo = create OrderPhoto (Caption = $caption, OrderPhoto_Order = $order)
  call action NanoflowCommons.StoreFileFromPath(file = $photo, path = $path) on error {
    rollback $photo
    show message error 'Could not read the photo: ' + $latestError
    return empty
  }
  commit $photo
  return $photo
}

// Marks a placed order shipped on the server, then refreshes it on the device.
nanoflow ACT_Order_Ship($order: Order) returns Boolean allow Manager {
  if $order/Status != OrderStatus.Placed {
    show message warning 'Only placed orders can be shipped.'
    return false
  }
  $shipped = call microflow SUB_Order_MarkShipped(number = $order/Number)
  if $shipped {
    synchronize $order
  }
  return $shipped
}

// Loads the latest placed orders of every user onto a manager's device.
nanoflow ACT_Orders_LoadPlaced() allow Manager {
  call microflow DS_Orders_PushPlaced(limit = 50) on error {
    show message error 'Could not load the placed orders: ' + $latestError
    return
  }
  show page Order_Overview()
}

// Synchronizes everything and reports the drafts still waiting on this device.
nanoflow ACT_Synchronize() returns Boolean {
  synchronize all on error {
    call nanoflow Log(text = 'Synchronization failed: ' + $latestError)
    show message error $latestError
    return false
  }
  $drafts = retrieve Order where [Status = 'Draft'] sort by Number
  if not(isEmpty($drafts)) {
    show message info toString(count($drafts)) + ' draft orders are waiting to be placed.'
  }
  return true
}
