module Shop

nanoflow Refresh() with entity access {
//~ NF511 @10 `with entity access` applies to microflows
  log info 'refresh'
}

microflow Recount() with entity access {
  log info 'recount'
}
