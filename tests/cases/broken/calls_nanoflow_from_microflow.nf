module Sales

nanoflow ACT_Helper() {
  log info 'helping'
}

nanoflow ACT_Value() returns Integer {
  return 1
}

microflow MF_Main() returns Integer {
  call nanoflow ACT_Helper()
//~ NF506 @3 nanoflow
  $value = call nanoflow ACT_Value()
//~ NF506 @3 nanoflow
  return $value
}
