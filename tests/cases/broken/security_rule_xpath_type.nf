module Sales

entity Order {
  Total: Decimal
  Open: Boolean
}

role User

access Order for User {
  read *
  where [Open = 'yes'][Total > 'zero']
//~ NF313 @10 Boolean
//~ NF313 @24 Decimal
}
