module Sales

nanoflow ACT_Big() returns Long {
  declare $largest: Long = 9223372036854775807
  declare $tooLarge: Long = 9223372036854775808
//~ NF005 @29 9223372036854775808
  return $largest
}
