module Sales

entity Order {
  Total: Decimal
}

nanoflow ACT_Order_Label($order: Order) returns String {
  if $order/Total > 100 {
    declare $label: String = 'big'
  }
  return $label
//~ NF203 @10 `$label`
}

nanoflow ACT_Orders_Last($orders: List of Order) returns Decimal {
  for $order in $orders {
    declare $last: Decimal = $order/Total
  }
  return $last
//~ NF203 @10 `$last`
}

nanoflow ACT_Order_Size($order: Order) returns String {
  if $order/Total > 1000 {
    declare $size: String = 'large'
  } else if $order/Total > 100 {
    declare $medium: String = 'medium'
    return $medium
  }
  return $size
//~ NF203 @10 `$size`
}
