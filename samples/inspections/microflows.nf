module Inspections

// Microflows: they run on the sync server.

// Before commit of Finding, also when a synchronization uploads one: a closed inspection takes
// no new or changed findings (the device's change is kept as a synchronization failure, with
// this message as its reason); the server stamps when it first received a finding.
microflow BCo_Finding($finding: Finding) returns Boolean {
  $inspection = retrieve $finding/Finding_Inspection
  if $inspection != empty {
    if $inspection/State = InspectionState.Closed {
      raise 'Inspection ' + toString($inspection/Number) + ' (' + $inspection/Title
        + ') is closed: it takes no more findings'
    }
  }
  if $finding/ReceivedAt = empty {
    change $finding (ReceivedAt = [%CurrentDateTime%])
  }
  return true
}

// Hands the inspection with this number to an inspector: at their next synchronization it
// arrives on their device (and leaves the devices of users whose rules no longer cover it).
microflow SUB_Inspection_Assign($number: Long, $inspector: String) returns Boolean allow Planner {
  $inspection = retrieve first Inspection where [Number = $number]
  $user = retrieve first System.User where [Name = $inspector]
  if $inspection = empty or $user = empty {
    return false
  }
  change $inspection (System.owner = $user)
  commit $inspection
  return true
}
