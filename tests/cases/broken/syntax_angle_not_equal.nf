module Shop

nanoflow Ne() returns Boolean {
  return 1 <> 2
//~ NF001 @13 unexpected `>` help: not equal is written `!=`
}
