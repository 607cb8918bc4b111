module Sales

nanoflow SUB_Refresh() {
  synchronize all
}

nanoflow ACT_Home() {
  call nanoflow SUB_Refresh
  log info 'Refreshed'
//~ NF001 @3 unexpected `log`
}
