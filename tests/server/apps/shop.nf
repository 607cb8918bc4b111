// The app of the microflow tests (tests/server/test_microflows.py, test_entity_access.py,
// test_enforcement.py): clerks see and change their own orders, bosses everything.
module Shop

role Clerk
role Boss

enumeration Level {
  Low 'Low'
  High 'High'
}

entity Customer with owner {
  Name: String(20) required
  Email: String unique
  Active: Boolean = true
}

entity Order with owner {
  Number: AutoNumber
  Total: Decimal = 0
  Note: String
  Secret: String
}

entity Stamp {
  Code: Integer unique
}

association Order_Customer from Order to Customer

access Order for Clerk {
  create
  read (Number, Total, Note, Order_Customer)
  write (Total, Note)
  where [System.owner = '[%CurrentUser%]']
}
access Order for Boss { create, delete, read *, write * }
access Customer for Clerk { read (Name, Active) where [Active] }
access Customer for Boss { create, delete, read *, write * }

offline {
  Order: all
  Customer: all
}

// ---- calls from a device --------------------------------------------------------------------

microflow Internal() returns Integer {
  return 1
}

microflow BossOnly() returns Integer allow Boss {
  return 2
}

microflow Echo(
  $s: String, $i: Integer, $l: Long, $d: Decimal, $b: Boolean, $t: DateTime, $lv: Level
) returns String allow Clerk, Boss {
  return $s + '|' + toString($i) + '|' + toString($l) + '|' + toString($d) + '|'
    + toString($b) + '|' + formatDateTime($t, 'yyyy-MM-dd HH:mm:ss.SSS') + '|' + getKey($lv)
}

microflow NextDay($t: DateTime) returns DateTime allow Clerk {
  return addDays($t, 1)
}

microflow IsEmpty($t: DateTime, $s: String) returns Boolean allow Clerk {
  return $t = empty and $s = empty
}

microflow Half($d: Decimal) returns Decimal allow Clerk {
  return $d div 2
}

microflow LevelOf($n: Integer) returns Level allow Clerk {
  if $n > 10 {
    return Level.High
  }
  return Level.Low
}

microflow Nothing($s: String) allow Clerk {
  log info 'nothing for ' + $s
}

microflow TakesOrder($order: Order) returns Boolean allow Clerk {
  return true
}

microflow Me() returns String allow Clerk, Boss {
  declare $me = [%CurrentUser%]
  return $me/Name
}

microflow Fail($msg: String) returns Boolean allow Clerk, Boss {
  $o = create Order (Note = 'doomed')
  commit $o
  raise $msg
}

microflow Handled() returns String allow Clerk, Boss {
  $c = create Customer (Name = 'first', Email = 'dup@example.com')
  commit $c
  $d = create Customer (Name = 'second', Email = 'DUP@example.com')
  commit $d on error {
    $e = create Customer (Name = 'third', Email = 'other@example.com')
    commit $e
    return $latestError
  }
  return 'no error'
}

// ---- entity access --------------------------------------------------------------------------

microflow CountOrders() returns Integer allow Clerk, Boss with entity access {
  $all = retrieve Order
  return count($all)
}

microflow CountAllOrders() returns Integer allow Clerk, Boss {
  $all = retrieve Order
  return count($all)
}

microflow CountViaSub() returns String allow Clerk, Boss with entity access {
  $mine = retrieve Order
  $all = call microflow CountAllOrders()
  $again = retrieve Order
  return toString(count($mine)) + '/' + toString($all) + '/' + toString(count($again))
}

microflow CountViaSecured() returns String allow Clerk, Boss {
  $mine = call microflow CountOrders()
  $all = retrieve Order
  return toString($mine) + '/' + toString(count($all))
}

microflow CustomerOfFirstOrder() returns String allow Clerk, Boss with entity access {
  $order = retrieve first Order where [Note = 'with customer']
  $customer = retrieve $order/Order_Customer
  if $customer = empty {
    return 'none'
  }
  return $customer/Name
}

microflow CreateOrder($note: String, $total: Decimal) returns Long allow Clerk, Boss with entity access {
  $o = create Order (Note = $note, Total = $total)
  commit $o
  return $o/Number
}

microflow CreateOrderWithCustomer($name: String, $active: Boolean) returns Boolean allow Clerk {
  $c = create Customer (Name = $name, Active = $active)
  commit $c
  $o = create Order (Note = 'with customer', Order_Customer = $c)
  commit $o
  return true
}

microflow CreateSecretOrder() returns Long allow Clerk, Boss with entity access {
  $o = create Order (Note = 'secret', Secret = 'x')
  commit $o
  return $o/Number
}

microflow CreateCustomer($name: String, $email: String) returns Boolean allow Clerk, Boss with entity access {
  $c = create Customer (Name = $name, Email = $email)
  commit $c
  return true
}

microflow CreateCustomerUnchecked($name: String, $email: String) returns Boolean allow Clerk, Boss {
  $c = create Customer (Name = $name, Email = $email)
  commit $c
  return true
}

microflow ChangeOrders($note: String, $secret: String) returns Integer allow Clerk, Boss with entity access {
  $all = retrieve Order where [Note != 'untouched']
  for $o in $all {
    change $o (Note = $note, Secret = $secret)
  }
  commit $all
  return count($all)
}

microflow ChangeOrderByNumber($number: Long, $note: String) returns Boolean allow Clerk, Boss with entity access {
  $o = call microflow FindOrder(number = $number)
  change $o (Note = $note)
  commit $o
  return true
}

microflow FindOrder($number: Long) returns Order {
  $o = retrieve first Order where [Number = $number]
  return $o
}

microflow DeleteOrderByNumber($number: Long) returns Boolean allow Clerk, Boss with entity access {
  $o = call microflow FindOrder(number = $number)
  delete $o
  return true
}

microflow DeleteOrderByNumberUnchecked($number: Long) returns Boolean allow Clerk, Boss {
  $o = call microflow FindOrder(number = $number)
  delete $o
  return true
}

// ---- owner, handlers, synchronize to device ------------------------------------------------

microflow HandOver($to: String) returns Integer allow Clerk, Boss {
  $user = retrieve first System.User where [Name = $to]
  $mine = retrieve Order where [System.owner = '[%CurrentUser%]']
  for $o in $mine {
    change $o (System.owner = $user)
  }
  commit $mine
  return count($mine)
}

microflow Push($note: String) allow Clerk, Boss {
  $all = retrieve Order where [Note = $note]
  $customers = retrieve Customer
  synchronize to device $all
  synchronize to device $customers
}

microflow PushDeleted() allow Clerk, Boss {
  $o = create Order (Note = 'gone')
  commit $o
  $n = create Order (Note = 'never committed')
  synchronize to device $o
  synchronize to device $n
  delete $o
}

microflow BCo_Order($order: Order) returns Boolean {
  if $order/Total < 0 {
    return false
  }
  change $order (Total = round($order/Total, 2), Note = 'checked by ' + getKey(Level.High))
  return true
}

microflow BadHandler($order: Order) returns Boolean {
  raise 'handler failed for ' + $order/Note
}

// ---- AutoNumber and unique ------------------------------------------------------------------

microflow Stamp($code: Integer) returns Boolean allow Clerk, Boss {
  $s = create Stamp (Code = $code)
  commit $s
  return true
}
