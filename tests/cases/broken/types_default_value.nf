module Sales

enumeration OrderStatus {
  Draft 'Draft'
  Placed 'Placed'
}

enumeration InvoiceStatus {
  Open 'Open'
  Paid 'Paid'
}

entity Order {
  Total: Decimal = 'zero'
//~ NF314 @20 Decimal
  Paid: Boolean = 1
//~ NF314 @19 Boolean
  Quantity: Integer = 1.5
//~ NF314 @23 Integer
  Status: OrderStatus = InvoiceStatus.Open
//~ NF314 @25 OrderStatus
  Note: String = false
//~ NF314 @18 String
  // Fine: negative numbers, an Integer literal for a Decimal, a value of the attribute's enumeration.
  Discount: Decimal = 5
  Offset: Integer = -2
  Initial: OrderStatus = OrderStatus.Draft
  Current: OrderStatus = Placed
}
