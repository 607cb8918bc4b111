module Sales

entity Customer {
  Active: Boolean
}

nanoflow ACT_Customer_Check($customer: Customer) {
  if not $customer/Active {
//~ NF001 @10 unexpected `$customer`
    show message warning 'This customer is inactive.'
  }
}
