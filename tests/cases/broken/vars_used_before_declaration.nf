module Sales

nanoflow ACT_Countdown($start: Integer) returns Integer {
  log info 'Counting down from ' + toString($count)
//~ NF203 @45 `$count`
  declare $count: Integer = $start
  while $more {
//~ NF203 @9 `$more`
    set $count = $count - 1
    declare $more: Boolean = $count > 0
  }
  return $count
}
