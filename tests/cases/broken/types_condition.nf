module Sales

entity Order {
  Total: Decimal
  Note: String
}

nanoflow ACT_Order_Conditions($order: Order, $count: Integer) returns Integer {
  if $count {
//~ NF305 @6 Integer
    log info 'count'
  } else if $order/Note {
//~ NF305 @13 String
    log info 'note'
  }
  while $order/Total {
//~ NF305 @9 Decimal
    log info 'waiting'
  }
  declare $sign: Integer = if $count then 1 else -1
//~ NF305 @31 Integer
  return $sign
}
