module Inspections

// Registers a site and plans its first inspection a number of days from now.
nanoflow ACT_Site_Register($code: String, $name: String, $inDays: Integer) returns Inspection {
  $existing = retrieve first Site where [Code = $code]
  if $existing != empty {
    raise 'Site ' + $code + ' is already registered'
  }
  $site = create Site (Code = toUpperCase(trim($code)), Name = $name)
  commit $site
  $inspection = create Inspection (
    Title = 'First inspection of ' + $name,
    PlannedFor = addDays([%BeginOfCurrentDay%], $inDays),
    Inspection_Site = $site
  )
  commit $inspection
  return $inspection
}

nanoflow ACT_Inspection_Start($inspection: Inspection) {
  if $inspection/State != InspectionState.Planned {
    show message warning 'Only planned inspections can start.'
    return
  }
  change $inspection (State = InProgress, StartedAt = [%CurrentDateTime%])
  commit $inspection
  log info node 'Inspections' 'Started ' + $inspection/Title
}

// Adds a finding; its penalty depends on the severity.
nanoflow ACT_Finding_Add($inspection: Inspection, $text: String, $severity: Severity) returns Finding {
  declare $penalty: Decimal = 0
  switch $severity {
    case Low { set $penalty = 1.5 }
    case Medium { set $penalty = 5 }
    case High { set $penalty = 12.25 }
    case Critical { set $penalty = 40 }
    case empty { raise 'A finding needs a severity' }
  }
  $finding = create Finding (
    Text = $text,
    Severity = $severity,
    Penalty = $penalty,
    Finding_Inspection = $inspection
  )
  commit $finding on error {
    validation feedback $finding/Text $latestError
    raise
  }
  return $finding
}

// Finishes an inspection: the score is 100 minus the penalties of open findings.
nanoflow ACT_Inspection_Finish($inspection: Inspection) returns Decimal {
  $findings = retrieve $inspection/Finding_Inspection
  declare $open = filterWhere($findings, not($currentObject/Fixed))
  declare $score: Decimal = 100 - sum($open, Penalty)
  if $score < 0 {
    set $score = 0
  }
  change $inspection (State = Done, FinishedAt = [%CurrentDateTime%], Score = round($score, 1))
  commit $inspection
  if count(filter($open, Severity, Severity.Critical)) > 0 {
    show message error 'Critical findings are open for ' + $inspection/Title
  }
  return $inspection/Score
}

nanoflow DS_Inspection_Summary($inspection: Inspection) returns String {
  $findings = retrieve $inspection/Finding_Inspection
  declare $worst = head(sort($findings, Penalty desc))
  declare $site = $inspection/Inspection_Site/Site/Name
  declare $text = $site + ': ' + getCaption($inspection/State) + ', ' + toString(count($findings)) + ' finding(s)'
  if $worst != empty {
    set $text = $text + ', worst: ' + $worst/Text
  }
  return $text
}

// Remembers the last site the inspector opened (a storage item, as Nanoflow Commons does).
nanoflow ACT_Site_Remember($site: Site) returns String {
  call action NanoflowCommons.SetStorageItemString(key = 'lastSite', value = $site/Code)
  $code = call action NanoflowCommons.GetStorageItemString(key = 'lastSite')
  return $code
}

// Removes what an earlier demo day left in the store, so the demo can run again.
nanoflow ACT_Demo_Reset($code: String) {
  $site = retrieve first Site where [Code = $code]
  if $site = empty {
    return
  }
  $inspections = retrieve $site/Inspection_Site
  for $inspection in $inspections {
    $findings = retrieve $inspection/Finding_Inspection
    delete $findings
  }
  delete $inspections
  delete $site
  log info node 'Inspections' 'Removed the earlier demo data of ' + $code
}

// The whole day of an inspector, end to end.
nanoflow ACT_Demo_Day() returns String {
  call nanoflow ACT_Demo_Reset(code = 'NL-AMS-01')
  $inspection = call nanoflow ACT_Site_Register(code = ' nl-ams-01 ', name = 'Amsterdam depot', inDays = 0)
  call nanoflow ACT_Inspection_Start(inspection = $inspection)
  $a = call nanoflow ACT_Finding_Add(inspection = $inspection, text = 'Fire exit blocked', severity = Severity.High)
  $b = call nanoflow ACT_Finding_Add(inspection = $inspection, text = 'Label missing', severity = Severity.Low)
  $c = call nanoflow ACT_Finding_Add(inspection = $inspection, text = 'Door squeaks', severity = Severity.Low)
  change $c (Fixed = true)
  commit $c
  $score = call nanoflow ACT_Inspection_Finish(inspection = $inspection)
  $summary = call nanoflow DS_Inspection_Summary(inspection = $inspection)
  $site = retrieve first Site where [Code = 'NL-AMS-01']
  $remembered = call nanoflow ACT_Site_Remember(site = $site)
  return $summary + ' (score ' + toString($score) + ', last site ' + $remembered + ')'
}
