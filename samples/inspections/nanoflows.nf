module Inspections

// Nanoflows: they run on the device, against its offline store.

// ---- planning (the office) ---------------------------------------------------------------

// Registers a site and plans its first inspection a number of days from now.
nanoflow ACT_Site_Register($code: String, $name: String, $inDays: Integer) returns Inspection {
  $existing = retrieve first Site where [Code = $code]
  if $existing != empty {
    raise 'Site ' + $code + ' is already registered'
  }
  $site = create Site (Code = toUpperCase(trim($code)), Name = $name)
  commit $site
  $inspection = call nanoflow ACT_Inspection_Plan(site = $site, title = 'First inspection of ' + $name, inDays = $inDays)
  return $inspection
}

// Plans an inspection of a site a number of days from now.
nanoflow ACT_Inspection_Plan($site: Site, $title: String, $inDays: Integer) returns Inspection {
  $inspection = create Inspection (
    Title = $title,
    PlannedFor = addDays([%BeginOfCurrentDay%], $inDays),
    Inspection_Site = $site
  )
  commit $inspection
  return $inspection
}

// Hands an inspection to an inspector: it goes to the server with its site (a new object that
// references another new one needs it selected too), the server numbers it and makes the
// inspector its owner, and the planner's copy is refreshed.
nanoflow ACT_Inspection_Assign($inspection: Inspection, $inspector: String) returns Boolean allow Planner {
  $site = retrieve $inspection/Inspection_Site
  synchronize $site, $inspection on error {
    show message error 'Could not reach the server: ' + $latestError
    return false
  }
  $assigned = call microflow SUB_Inspection_Assign(number = $inspection/Number, inspector = $inspector) on error {
    show message error 'Could not assign the inspection: ' + $latestError
    return false
  }
  if not($assigned) {
    show message warning 'There is no inspector ''' + $inspector + '''.'
    return false
  }
  synchronize $inspection
  return true
}

// Reviews an inspection: it is closed, and takes no more findings.
nanoflow ACT_Inspection_Close($inspection: Inspection) allow Planner {
  change $inspection (State = InspectionState.Closed)
  commit $inspection
}

// Removes a finding (e.g. a duplicate); the delete goes up with the next `synchronize all`.
nanoflow ACT_Finding_Remove($finding: Finding) allow Planner {
  delete $finding
}

// ---- inspecting (the field) --------------------------------------------------------------

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

// Attaches a photo (a file on the device) to a finding.
nanoflow ACT_Photo_Attach($finding: Finding, $path: String, $caption: String) returns Photo {
  $photo = create Photo (Caption = $caption, Photo_Finding = $finding)
  call action NanoflowCommons.StoreFileFromPath(file = $photo, path = $path) on error {
    rollback $photo
    show message error 'Could not read the photo: ' + $latestError
    return empty
  }
  commit $photo
  return $photo
}

// Marks a finding fixed and synchronizes just that finding. False when the finding is gone:
// removed on the server, or no longer the user's (its variable is then empty).
nanoflow ACT_Finding_Fix($finding: Finding) returns Boolean {
  change $finding (Fixed = true)
  commit $finding
  synchronize $finding on error {
    show message warning 'Saved on the device; it goes to the server later: ' + $latestError
    return true
  }
  return $finding != empty
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

// Writes a remark for the office; it leaves the device with the next synchronization.
nanoflow ACT_Feedback_Send($site: Site, $text: String) returns Feedback {
  $feedback = create Feedback (Text = $text, SentAt = [%CurrentDateTime%], Feedback_Site = $site)
  commit $feedback
  return $feedback
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

// The device's settings (created on first use).
nanoflow DS_Settings() returns DeviceSettings {
  $settings = retrieve first DeviceSettings
  if $settings != empty {
    return $settings
  }
  $created = create DeviceSettings
  commit $created
  return $created
}

// Remembers the last site the inspector opened, in the device's own settings.
nanoflow ACT_Site_Remember($site: Site) returns String {
  $settings = call nanoflow DS_Settings()
  change $settings (LastSite = $site/Code)
  commit $settings
  return $settings/LastSite
}

// ---- synchronizing -----------------------------------------------------------------------

// Synchronizes everything; answers 'ok', or why it failed (e.g. another synchronization runs).
nanoflow ACT_Synchronize() returns String {
  synchronize all on error {
    log warning node 'Inspections' 'Synchronization failed: ' + $latestError
    return $latestError
  }
  return 'ok'
}

// ---- a day on one device (`nanoflow run samples/inspections ACT_Demo_Day`) ----------------

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
