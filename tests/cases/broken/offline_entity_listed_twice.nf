module Sales

entity Order {
  Total: Decimal
}

entity Customer {
  Active: Boolean
}

offline {
  Order: all
  Customer: by xpath [Active = true]
  Sales.Order: nothing preserve
//~ NF124 @3 Sales.Order
}
