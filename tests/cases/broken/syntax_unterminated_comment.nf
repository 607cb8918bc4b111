module Sales

entity Order {
  Total: Decimal
}

/* TODO: the rest of the domain model
//~ NF002 @1 unterminated block comment

entity Customer {
  Name: String
}
