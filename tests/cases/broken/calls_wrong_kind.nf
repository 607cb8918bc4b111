module Sales

microflow SUB_Compute($value: Integer) returns Integer allow User {
  return $value * 2
}

nanoflow SUB_Show($value: Integer) {
  show message info toString($value)
}

role User

nanoflow ACT_Main() {
  $doubled = call nanoflow SUB_Compute(value = 21)
//~ NF106 @28 SUB_Compute
  call microflow SUB_Show(value = 1)
//~ NF106 @18 SUB_Show
}
