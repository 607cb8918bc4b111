module Sales

nanoflow ACT_Sync() {
  log info 'Synchronizing'
  synchronize
}
//~ NF001 @1 unexpected `}`
