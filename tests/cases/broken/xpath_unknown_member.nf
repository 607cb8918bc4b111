module Sales

entity Customer {
  Name: String
  Active: Boolean
}

entity Order {
  Total: Decimal
  PlacedAt: DateTime
}

association Order_Customer from Order to Customer

offline {
  Order: all
  Customer: by xpath [Actve = true]
//~ NF102 @23 Actve help: Active
}

nanoflow ACT_Orders_Find() {
  $open = retrieve Order where [Totl > 0] sort by PlacedAt desc
//~ NF102 @33 Totl help: Total
  $recent = retrieve Order sort by Placed desc
//~ NF102 @36 Placed
  $named = retrieve Customer where [contains(Nme, 'a')]
//~ NF102 @46 Nme help: Name
  $theirs = retrieve Order where [Order_Customer/Customer/Nmae = 'Ann']
//~ NF102 @59 Nmae help: Name
  $linked = retrieve Order where [Order_Custmer/Customer/Name = 'Ann']
//~ NF102 @35 Order_Custmer help: Order_Customer
}
