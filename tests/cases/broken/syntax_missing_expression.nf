module Sales

nanoflow ACT_Total($price: Decimal, $quantity: Integer) returns Decimal {
  declare $total: Decimal = $price *
  return $total
//~ NF001 @3 unexpected `return`
}
