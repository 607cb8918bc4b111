module Sales

entity OrderLine {
  Quantity: Integer
  Price: Decimal
}

nanoflow ACT_Lines_Total($lines: List of OrderLine) returns Decimal {
  declare $total: Decimal = 0
  for $line in $lines {
    set $total = $totl + $line/Quantity * $line/Price
//~ NF201 @18 `$totl` help: `$total`
  }
  log info 'Last index: ' + toString($currentIndex)
//~ NF201 @38 `$currentIndex`
  return $total
}
