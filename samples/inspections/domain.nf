module Inspections

// An offline app for field inspectors. Planners at the office register sites and plan
// inspections; each inspection is handed to one inspector, whose device gets it at its next
// synchronization. On site, often without a network, the inspector records findings with
// photos, finishes the inspection and sends remarks to the office.

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
  Closed 'Closed'                  // reviewed by a planner: it takes no more findings
}

entity Site {
  Code: String(20) required unique
  Name: String(200) required
  Active: Boolean = true
  Latitude: Decimal
  Longitude: Decimal
  index (Code)
}

// Owned by the inspector who does it (a planner hands it over: SUB_Inspection_Assign).
entity Inspection with owner {
  Number: AutoNumber
  Title: String(200) required
  State: InspectionState = Planned
  PlannedFor: DateTime
  StartedAt: DateTime
  FinishedAt: DateTime
  Score: Decimal = 100
  index (State)
}

entity Finding with owner {
  Text: String required
  Severity: Severity = Low
  Penalty: Decimal = 0
  Fixed: Boolean = false
  ReceivedAt: DateTime             // stamped by the server (BCo_Finding)

  on before commit BCo_Finding
}

entity Photo extends System.Image with owner {
  Caption: String
}

// Remarks for the office: uploaded by the next synchronization, then gone from the device.
entity Feedback with owner {
  Text: String required
  SentAt: DateTime
}

// The inspector's settings on one device: never synchronized.
entity DeviceSettings {
  LastSite: String(20)
  ShowFixed: Boolean = true
}

association Inspection_Site from Inspection to Site
association Finding_Inspection from Finding to Inspection
association Photo_Finding from Photo to Finding
association Feedback_Site from Feedback to Site
