module Sales

entity Order {
  Total: Decimal
}

role User

association Order_Tags from Order to many Tags
//~ NF101 @43 Tags

access Ordr for User {
//~ NF101 @8 Ordr help: Order
  read *
}

offline {
  Order: all
  Customer: all
//~ NF101 @3 Customer
}

nanoflow ACT_Orders_Sum($orders: List of Ordes) returns Decimal {
//~ NF101 @42 Ordes help: Order
  return 0
}
