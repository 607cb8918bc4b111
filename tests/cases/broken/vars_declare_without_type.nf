module Sales

nanoflow ACT_Start() {
  declare $note
//~ NF204 @3 `$note`
  declare $nothing = empty
//~ NF204 @3 `$nothing`
  declare $count: Integer
  declare $name = 'fine: the type comes from the value'
  log info $name + toString($count)
}
