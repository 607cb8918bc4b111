module Sales

// The domain model of a small sales app: customers place orders made of lines; orders can be
// tagged and carry photos; the server keeps an audit trail of every saved order.

enumeration OrderStatus {
  Draft 'Draft'
  Placed 'Placed'
  Shipped 'Shipped to customer'
}

entity Customer with owner {
  Name: String(200) required
  Email: String unique
  Active: Boolean = true
  CreditLimit: Decimal = 1000.00
}

entity Order with owner {
  Number: AutoNumber
  Total: Decimal = 0
  Status: OrderStatus = Draft
  PlacedAt: DateTime
  Note: String

  on before commit BCo_Order
  on after commit ACo_Order
  index (Status, PlacedAt)
}

entity OrderLine with owner {
  Product: String(200) required
  Quantity: Integer = 1
  UnitPrice: Decimal = 0
  Amount: Decimal = 0              // Quantity * UnitPrice, kept by ACT_Order_Recalculate
}

entity Tag {
  Name: String(50) required unique
}

// Written by the server (ACo_Order); the device only uploads what it has and keeps nothing.
entity AuditEntry with owner {
  Text: String
  LoggedAt: DateTime
}

entity OrderPhoto extends System.Image {
  Caption: String
}

association Order_Customer from Order to Customer
association Order_Tags from Order to many Tag
association OrderLine_Order from OrderLine to Order
association AuditEntry_Order from AuditEntry to Order
association OrderPhoto_Order from OrderPhoto to Order
