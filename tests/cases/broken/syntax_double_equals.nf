module Shop

nanoflow Eq() returns Boolean {
  return 1 == 1
//~ NF001 @13 unexpected `=` help: equality is one `=`: write `a = b`
}
