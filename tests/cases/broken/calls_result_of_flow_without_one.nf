module Sales

action Beep()

nanoflow SUB_Log($text: String) {
  log info $text
}

microflow MF_Cleanup() allow User {
  log info 'cleaned'
}

role User

nanoflow ACT_Main() {
  $result = call nanoflow SUB_Log(text = 'x')
//~ NF316 @3 `$result`
  $beeped = call action Beep()
//~ NF316 @3 `$beeped`
  $cleaned = call microflow MF_Cleanup()
//~ NF316 @3 `$cleaned`
  // Fine: the result is not used.
  call nanoflow SUB_Log(text = 'ok')
}
