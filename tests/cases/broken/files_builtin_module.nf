module System
//~ NF006 @8 module `System` is built in

entity Printer {
  Name: String
}
