module Sales

role User
role User
//~ NF120 @6 User

entity Order {
  Total: Decimal
}

entity Order {
//~ NF120 @8 Order
  Note: String
}

entity Customer {
  Name: String
}

enumeration Customer {
//~ NF120 @13 Customer
  Private 'Private'
  Business 'Business'
}

association Order_Customer from Order to Customer
association Order_Customer from Order to Customer
//~ NF120 @13 Order_Customer

page ACT_Order_Open($order: Order)

nanoflow ACT_Order_Open($order: Order) {
//~ NF120 @10 ACT_Order_Open
  log info 'open'
}
