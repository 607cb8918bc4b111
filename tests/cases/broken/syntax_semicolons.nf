module Sales

nanoflow ACT_Count($limit: Integer) returns Integer {
  declare $count: Integer = 0;
//~ NF002 @30 ;
  while $count < $limit {
    set $count = $count + 1
  }
  return $count
}
