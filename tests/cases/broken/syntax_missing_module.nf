// This file forgot its module line.
entity Order {
//~ NF001 @1 unexpected `entity`
  Total: Decimal
}
