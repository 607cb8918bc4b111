module Sales

entity Order {
  Total: Decimal
}

page Order_Edit($order: Order)

nanoflow SUB_Sum($a: Integer, $b: Integer) returns Integer {
  return $a + $b
}

nanoflow SUB_Scale($factor: Decimal, $factor: Decimal) returns Decimal {
//~ NF123 @38 `$factor`
  return $factor * 2
}

nanoflow ACT_Main($order: Order) returns Integer {
  $sum = call nanoflow SUB_Sum(a = 1, b = 2, a = 3)
//~ NF123 @46 a
  show page Order_Edit(order = $order, order = $order)
//~ NF123 @40 order
  return $sum
}
