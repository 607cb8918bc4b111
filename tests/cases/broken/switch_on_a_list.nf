module Shop

entity Order { Number: Long }
offline { Order: all }

// The NF311 is the only problem: `$items` is still declared after the switch.
nanoflow Sw($items: List of Order) returns Integer {
  switch $items {
//~ NF311 @10 needs an enumeration or Boolean value
    case true { return 1 }
  }
  return count($items)
}
