module Sales

entity Product {
  Price: Decimal
  Label: String
}

nanoflow ACT_Product_Price($product: Product, $text: String) returns Boolean {
  declare $price: Decimal = parseFloat($text, 0)
//~ NF701 @29 parseFloat help: parseDecimal
  declare $shown: String = formatFloat(toFloat($price), '#,##0.00')
//~ NF701 @28 formatFloat help: formatDecimal
//~ NF701 @40 toFloat help: the value itself
  change $product (Label = $shown)
  return floatsEqual($product/Price, $price, 2)
//~ NF701 @10 floatsEqual help: pow(10, -precision)
}
