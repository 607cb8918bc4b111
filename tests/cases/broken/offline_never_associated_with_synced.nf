module Sales

entity Order {
  Total: Decimal
}

entity DraftNote {
  Text: String
}

entity ScratchPad {
  Text: String
}

association DraftNote_Order from DraftNote to Order
//~ NF507 @13 DraftNote_Order
association Order_ScratchPads from Order to many ScratchPad
//~ NF507 @13 Order_ScratchPads
// Fine: both ends are `never`.
association DraftNote_ScratchPad from DraftNote to ScratchPad

offline {
  Order: all
  DraftNote: never
  ScratchPad: never
}
