module Sales

entity Order {
  Total: Decimal
}

page Order_Edit($order: Order)

nanoflow ACT_Order_Open($order: Order) {
  show page Order_Edt(order = $order)
//~ NF108 @13 Order_Edt help: Order_Edit
}

nanoflow ACT_Order_New() {
  show page Sales.Order_New()
//~ NF108 @13 Order_New
}

nanoflow ACT_Order_Flow($order: Order) {
  show page ACT_Order_Open(order = $order)
//~ NF108 @13 ACT_Order_Open
}
