module Sales

entity Order {
  Total: Decimal
}

role User
role Manager

access Order for User {
  create, read *
}

access Order for Manager {
  read *, write *
}

access Order for User {
//~ NF602 @8 Order
  write (Total)
}
