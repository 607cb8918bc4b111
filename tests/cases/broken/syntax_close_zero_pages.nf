module Sales

nanoflow ACT_Back() {
  close page
  close page 0
//~ NF004 @14 close page
}
