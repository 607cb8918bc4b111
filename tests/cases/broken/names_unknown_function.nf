module Sales

entity Customer {
  Name: String
  Since: DateTime
}

nanoflow ACT_Customer_Label($customer: Customer) returns String {
  declare $name: String = toUppercase($customer/Name)
//~ NF110 @27 toUppercase help: toUpperCase
  declare $size: Integer = lenght($name)
//~ NF110 @28 lenght help: length
  declare $years: Decimal = yearsBetween($customer/Since, [%CurrentDateTime%])
//~ NF110 @29 yearsBetween
  return $name + ' (' + toString($size) + ', ' + toString($years) + ')'
}
