module Sales

enumeration OrderStatus {
  Draft 'Draft'
  Placed 'Placed'
  Shipped 'Shipped to customer'
  Draft 'Concept'
//~ NF122 @3 Draft
}
