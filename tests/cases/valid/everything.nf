// A program that uses every construct of the language; it must compile clean.
module Shop

enumeration Status {
  Open 'Open'
  Done 'Done'
}

entity Customer with owner {
  Name: String(100) required
  Code: String unique
  Vip: Boolean = false
  Limit: Decimal = -5.5
  Visits: Integer = 0
  Big: Long = 9000000000
  Since: DateTime = [%CurrentDateTime%]
  index (Name, Code)
}

entity Order with owner {
  Number: AutoNumber
  Total: Decimal = 0
  State: Status = Open
  Note: String
  on before commit BCo_Order
  on after delete ADe_Order
}

entity Line {
  Qty: Integer = 1
  Price: Decimal
}

entity Tag {
  Label: String
}

entity Photo extends System.Image {
  Caption: String
}

entity Secret {
  Value: String
}

association Order_Customer from Order to Customer
association Line_Order from Line to Order
association Order_Tags from Order to many Tag

role Clerk
role Boss

access Order for Clerk {
  create, delete
  read *
  write (State, Note, Total, Order_Customer)
  where [System.owner = '[%CurrentUser%]' and (State = 'Open' or Total > 10)]
}
access Order for Boss { create delete read * write * }
access Customer for Clerk { read (Name, Code) where [Vip][not(Limit < 0)] }
access Line for Clerk { read * write * }
access Tag for Clerk { read * }
access Photo for Clerk { read * write * create }

offline {
  Order: all
  Customer: by xpath [Vip = true and starts-with(Name, 'A')]
  Line: all
  Tag: nothing preserve
  Photo: all
  Secret: never
}

page Order_Edit($order: Order)

action Vibrate($ms: Integer) returns Boolean

microflow BCo_Order($order: Order) returns Boolean {
  change $order (Total = round($order/Total, 2))
  return true
}

microflow ADe_Order($order: Order) {
  log info 'deleted ' + toString($order/Number)
}

microflow Handover($order: Order, $to: System.User) {
  change $order (System.owner = $to)
  commit $order
}

microflow CountOpen($limit: Integer) returns Integer allow Clerk, Boss with entity access {
  $open = retrieve Order where [State = 'Open'] limit $limit
  synchronize to device $open
  return count($open)
}

nanoflow Totals($order: Order) returns Decimal allow Clerk {
  $lines = retrieve $order/Line_Order
  $cust = retrieve $order/Order_Customer
  declare $sum: Decimal = sum($lines, Price)
  declare $n = count($lines)
  declare $avg: Decimal = if $n > 0 then average($lines, Price) else 0
  declare $big = filterWhere($lines, $currentObject/Qty > 10)
  declare $first = findWhere($lines, $currentObject/Price >= 1.5)
  declare $sorted = sort($lines, Price desc, Qty)
  declare $sumQty = reduce($lines, 0, $currentResult + $currentObject/Qty)
  declare $allPositive = all($lines, $currentObject/Qty > 0) and any($lines, true)
  declare $tail = tail($sorted)
  declare $both = union($big, $tail)
  declare $has = contains($both, $first) or contains('abc', 'b')
  declare $three = find($lines, Qty, 3)
  declare $at = find('hello', 'l') + $three/Qty
  return $sum + $avg
}

nanoflow Everything($order: Order, $name: String, $tags: List of Tag, $doc: System.FileDocument) returns Boolean {
  declare $count: Integer = 0
  declare $text = 'It''s ' + $name + 1 + 2.5
  declare $when: DateTime = addDays([%BeginOfCurrentDay%], 1)
  declare $lst: List of Line
  set $count = $count + 1
  $c = create Customer (Name = $name, Vip = true)
  $o = create Order (Total = 10, State = Done, Order_Customer = $c, Order_Tags = $tags)
  $empty = create Tag
  change $o (State = Status.Open, Note = formatDateTime($when, 'yyyy-MM-dd'))
  commit $o on error continue
  commit $lst
  rollback $o
  $l = create list of Line
  add $l to $lst
  remove head($l) from $lst
  clear $l
  $first = retrieve first Order where [Shop.Order_Customer = $c][Total > 0] sort by Total desc, Number
  $byName = retrieve Customer where [contains(Name, $name) and ends-with(Code, 'x')][Visits != empty]
  $deep = retrieve Order where [Order_Customer/Customer/Name = $c/Name and id != $first]
  $lines = retrieve $o/Line_Order where [Qty > 1]
  if $o/Total > 1000 {
    show message info 'big'
  } else if $o/Total > 100 {
    show message warning 'medium' blocking
  } else {
    validation feedback $o/Total 'small'
  }
  switch $o/State {
    case Open { log debug node 'Shop' 'open' }
    case Done, empty { close page 2 }
  }
  switch $o/Total > 5 {
    case true { log trace 'yes' }
    case false { log critical 'no' }
  }
  switch type $doc {
    case Photo { $photo = cast $doc to Photo }
    case empty { log warning 'none' }
    else { log error 'other' }
  }
  for $line in $lines {
    if $line/Qty = 0 { continue }
    if $currentIndex > 10 { break }
    change $line (Qty = $line/Qty + 1)
  }
  while $count < 10 {
    set $count = $count + 1
  }
  $ok = call nanoflow Helper(order = $o, note = 'rush')
  call nanoflow Shop.Helper(order = $o, note = empty)
  $n = call microflow CountOpen(limit = 10)
  $id = call action NanoflowCommons.GenerateUniqueID()
  $buzz = call action Vibrate(ms = 100)
  call action NanoflowCommons.Wait(delay = 5)
  show page Order_Edit(order = $o)
  synchronize all
  synchronize unsynchronized
  synchronize $o, $lines, $c on error {
    show message error $latestError
    return false
  }
  cancel synchronization on error {
    log warning 'Could not cancel: ' + $latestError
    raise
  }
  clear from device Tag
  delete $o
  if $ok and $n > 0 and not($buzz) {
    raise 'bad ' + $id
  }
  return $o != empty and isNew($o) = false and $when > [%CurrentDateTime%]
}

nanoflow Helper($order: Order, $note: String) returns Boolean {
  if $order = empty {
    return false
  } else {
    return $note != ''
  }
}
