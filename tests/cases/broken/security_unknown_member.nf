module Sales

entity Customer {
  Name: String
}

entity Order {
  Total: Decimal
  Note: String
}

association Order_Customer from Order to Customer

role User

access Order for User {
  create
  read (Totl, Note)
//~ NF102 @9 Totl help: Total
  write (Note, Order_Custmer)
//~ NF102 @16 Order_Custmer help: Order_Customer
}

access Customer for User {
  read *
  where [Nmae != empty]
//~ NF102 @10 Nmae help: Name
}
