// The app of the event handler and validation tests (tests/server/test_events.py): handlers on
// a microflow's own commits and deletes, and on a device's uploads.
module Ev

role Clerk

entity Ticket with owner {
  Title: String(10) required
  Code: String unique
  Total: Decimal = 0
  Stamp: String

  on before commit BCo_Ticket
  on after commit ACo_Ticket
  on before delete BDe_Ticket
  on after delete ADe_Ticket
}

entity Urgent extends Ticket {
  Level: Integer

  on before commit BCo_Urgent
}

entity Audit {
  Text: String
}

entity Counter {
  N: Integer

  on after commit ACo_Counter
}

access Ticket for Clerk { create, delete, read *, write * }
access Urgent for Clerk { create, delete, read *, write * }
access Audit for Clerk { read * }
access Counter for Clerk { create, read *, write * }

offline {
  Ticket: all
  Urgent: all
}

// ---- the handlers ----------------------------------------------------------------------------

microflow BCo_Ticket($t: Ticket) returns Boolean {
  if $t/Total < 0 {
    return false
  }
  if $t/Title = 'boom' {
    raise 'no boom'
  }
  change $t (Stamp = 'before ' + $t/Title, Total = round($t/Total, 1))
  return true
}

microflow ACo_Ticket($t: Ticket) {
  $a = create Audit (Text = 'committed ' + $t/Title + ' ' + $t/Stamp)
  commit $a
}

microflow BDe_Ticket($t: Ticket) returns Boolean {
  return $t/Title != 'keep'
}

microflow ADe_Ticket($t: Ticket) {
  $a = create Audit (Text = 'deleted ' + $t/Title)
  commit $a
}

microflow BCo_Urgent($u: Urgent) returns Boolean {
  change $u (Stamp = $u/Stamp + ' urgent ' + toString($u/Level))
  return $u/Level < 10
}

microflow ACo_Counter($c: Counter) {
  change $c (N = $c/N + 1)
  commit $c
}

// ---- calls -----------------------------------------------------------------------------------

microflow Make($title: String, $total: Decimal) returns String allow Clerk {
  $t = create Ticket (Title = $title, Total = $total)
  commit $t
  return $t/Stamp
}

microflow MakeCoded($title: String, $code: String) returns String allow Clerk {
  $t = create Ticket (Title = $title, Code = $code)
  commit $t on error {
    return 'refused: ' + $latestError
  }
  return 'ok'
}

microflow MakeUrgent($title: String, $level: Integer) returns String allow Clerk {
  $u = create Urgent (Title = $title, Level = $level)
  commit $u
  return $u/Stamp
}

microflow MakeTwo() returns Integer allow Clerk {
  $good = create Ticket (Title = 'good', Total = 1)
  $bad = create Ticket (Title = 'bad', Total = -1)
  $both = create list of Ticket
  add $good to $both
  add $bad to $both
  commit $both
  $stored = retrieve Ticket
  return count($stored)
}

microflow Rename($from: String, $to: String) returns String allow Clerk {
  $t = retrieve first Ticket where [Title = $from]
  change $t (Title = $to)
  commit $t
  return $t/Stamp
}

microflow Remove($title: String) returns Integer allow Clerk {
  $all = retrieve Ticket where [Title = $title]
  delete $all
  $left = retrieve Ticket where [Title = $title]
  return count($left)
}

microflow Count() returns Integer allow Clerk {
  $c = create Counter (N = 0)
  commit $c
  return $c/N
}

microflow Audits() returns String allow Clerk {
  $all = retrieve Audit sort by Text
  declare $text = ''
  for $a in $all {
    set $text = $text + $a/Text + ';'
  }
  return $text
}

microflow TotalOf($title: String) returns Decimal allow Clerk {
  $t = retrieve first Ticket where [Title = $title]
  return $t/Total
}
