module Shop

enumeration Status { Open 'Open' Paid 'Paid' }
entity Order { Number: Long State: Status }
offline { Order: all }

nanoflow Capital() returns Boolean {
  return True
//~ NF105 @10 unknown name `True` help: written in lower case: `true`
}

nanoflow Null() returns Boolean {
  return $x = null
//~ NF201 @10 unknown variable
//~ NF105 @15 unknown name `null` help: written `empty`
}

// A misspelled member is reported once: the enumeration value after it is not a variable.
nanoflow Misspelled($o: Order) returns Boolean {
  return $o/Stat = Open
//~ NF102 @13 unknown member `Stat` help: did you mean `State`?
}
