module Sales

entity String {
//~ NF007 @8 String
  Value: Integer
}

entity Order {
  first: Boolean
//~ NF007 @3 first
  Total: Decimal
}

enumeration Priority {
  Low 'Low'
  all 'All'
//~ NF007 @3 all
}
