module Sales

entity Order {
  PlacedAt: DateTime
}

offline {
  Order: all
}

nanoflow ACT_Order_Today() returns List of Order {
  declare $now: DateTime = [%CurrentDate%]
//~ NF113 @28 CurrentDate help: CurrentDateTime
  $today = retrieve Order where [PlacedAt >= [%BeginOfCurrentDy%]]
//~ NF113 @46 BeginOfCurrentDy help: BeginOfCurrentDay
  return $today
}
