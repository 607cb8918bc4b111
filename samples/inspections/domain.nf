// A local-only app for field inspectors: sites, inspections and their findings,
// kept in the device's offline store.
module Inspections

enumeration Severity {
  Low 'Low'
  Medium 'Medium'
  High 'High'
  Critical 'Critical'
}

enumeration InspectionState {
  Planned 'Planned'
  InProgress 'In progress'
  Done 'Done'
}

entity Site {
  Code: String(20) required
  Name: String(200) required
  Latitude: Decimal
  Longitude: Decimal
  index (Code)
}

entity Inspection {
  Title: String(200) required
  State: InspectionState = Planned
  PlannedFor: DateTime
  StartedAt: DateTime
  FinishedAt: DateTime
  Score: Decimal = 100
  index (State)
}

entity Finding {
  Text: String required
  Severity: Severity = Low
  Penalty: Decimal = 0
  Fixed: Boolean = false
}

entity Photo extends System.Image {
  Caption: String
}

association Inspection_Site from Inspection to Site
association Finding_Inspection from Finding to Inspection
association Photo_Finding from Photo to Finding

offline {
  Site: all
  Inspection: all
  Finding: all
  Photo: all
}
