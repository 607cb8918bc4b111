module Sales

nanoflow ACT_Quantity_Check($quantity: Integer) returns Boolean {
  if 0 < $quantity < 100 {
//~ NF001 @20 unexpected `<`
    return true
  }
  return false
}
