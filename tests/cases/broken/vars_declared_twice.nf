module Sales

entity Order {
  Total: Decimal
}

offline {
  Order: all
}

nanoflow ACT_Orders_Count($orders: List of Order) returns Integer {
  declare $count: Integer = 0
  for $order in $orders {
    set $count = $count + 1
  }
  declare $count: Integer = 1
//~ NF202 @11 `$count`
  return $count
}

nanoflow ACT_Order_Copy($order: Order) {
  $order = create Order (Total = $order/Total)
//~ NF202 @3 `$order`
  commit $order
}

nanoflow ACT_Order_Label($big: Boolean) returns String {
  if $big {
    declare $label: String = 'big'
  } else {
    declare $label: String = 'small'
//~ NF202 @13 `$label`
  }
  return $label
}

nanoflow ACT_Orders_Loop($order: Order, $orders: List of Order) {
  for $order in $orders {
//~ NF202 @7 `$order`
    commit $order
  }
}
