module Sales

enumeration OrderStatus {
  Draft 'Draft'
  Placed 'Placed'
}

entity Customer {
  Name: String
  Active: Boolean
}

entity Order {
  Total: Decimal
  Status: OrderStatus
  PlacedAt: DateTime
}

association Order_Customer from Order to Customer

offline {
  Order: all
  Customer: by xpath [Active = 'yes']
//~ NF313 @23 Boolean
}

nanoflow ACT_Orders_Find($customer: Customer) {
  $big = retrieve Order where [Total = 'abc']
//~ NF313 @32 Decimal
  $recent = retrieve Order where [PlacedAt > 5]
//~ NF313 @35 DateTime
  $active = retrieve Customer where [Active = 1]
//~ NF313 @38 Boolean
  $named = retrieve Customer where [Name]
//~ NF313 @37 String
  $mine = retrieve Order where [Total > $customer]
//~ NF313 @33 Decimal
  // Fine: an enumeration compared with a key, an association with an object, a token.
  $placed = retrieve Order where [Status = 'Placed' and Order_Customer = $customer]
  $today = retrieve Order where [PlacedAt >= '[%BeginOfCurrentDay%]']
}
