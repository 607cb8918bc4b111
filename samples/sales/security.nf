module Sales

// Field sales users work on their own orders; managers see and change everything.

role User
role Manager

access Order for User {
  create, delete
  read *
  write (Status, Note, PlacedAt, Total, Order_Customer, Order_Tags)
  where [System.owner = '[%CurrentUser%]']
}

access Order for Manager {
  create, delete, read *, write *
}

access OrderLine for User {
  create, delete
  read *
  write (Product, Quantity, UnitPrice, Amount, OrderLine_Order)
  where [System.owner = '[%CurrentUser%]']
}

access OrderLine for Manager {
  create, delete, read *, write *
}

access Customer for User {
  read * where [Active = true]
}

access Customer for Manager {
  create, delete, read *, write *
}

access Tag for User {
  read *
}

access Tag for Manager {
  create, delete, read *, write *
}

access AuditEntry for User {
  read * where [System.owner = '[%CurrentUser%]']
}

access AuditEntry for Manager {
  read *
}

access OrderPhoto for User {
  create, delete, read *, write *
  where [Sales.OrderPhoto_Order/Sales.Order/System.owner = '[%CurrentUser%]']
}

access OrderPhoto for Manager {
  create, delete, read *, write *
}
