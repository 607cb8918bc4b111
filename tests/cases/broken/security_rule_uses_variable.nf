module Sales

entity Customer {
  Name: String
}

entity Order {
  Total: Decimal
}

association Order_Customer from Order to Customer

role User

access Order for User {
  read *
  where [Total < $limit]
//~ NF601 @18 variable
}

access Customer for User {
  read *
  where [Name = $currentUser/Name]
//~ NF601 @17 variable
}
