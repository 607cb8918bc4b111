module Sales

// Microflows: they run on the sync server. Those a device calls take and return only primitive
// values; the others are event handlers.

// Before commit of Order: keep the total at two decimals.
microflow BCo_Order($order: Order) returns Boolean {
  change $order (Total = round($order/Total, 2))
  return true
}

// After commit of Order: write the audit trail.
microflow ACo_Order($order: Order) {
  $entry = create AuditEntry (
    Text = 'Order ' + toString($order/Number) + ' saved as ' + getCaption($order/Status),
    LoggedAt = [%CurrentDateTime%],
    AuditEntry_Order = $order
  )
  commit $entry
}

// How many of the caller's orders are placed and not shipped (counting stops at $limit).
microflow CountOpenOrders($limit: Integer) returns Integer allow User, Manager with entity access {
  $open = retrieve Order where [Status = 'Placed'] limit $limit
  return count($open)
}

// Marks the placed order with this number shipped; false when there is none.
microflow SUB_Order_MarkShipped($number: Long) returns Boolean allow Manager {
  $order = retrieve first Order where [Number = $number][Status = 'Placed']
  if $order = empty {
    return false
  }
  change $order (Status = OrderStatus.Shipped)
  commit $order
  return true
}

// Pushes the latest placed orders onto the calling device.
microflow DS_Orders_PushPlaced($limit: Integer) allow Manager {
  $placed = retrieve Order where [Status = 'Placed'] sort by PlacedAt desc limit $limit
  synchronize to device $placed
}
