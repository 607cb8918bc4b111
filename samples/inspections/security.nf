module Inspections

// Inspectors see the active sites and only their own inspections, findings, photos and
// feedback (System.owner); planners see everything and review it.

role Inspector
role Planner

access Site for Inspector {
  create
  read *
  write (Code, Name, Latitude, Longitude)
  where [Active = true]
}

access Site for Planner {
  create, delete, read *, write *
}

access Inspection for Inspector {
  create
  read *
  write (Title, State, PlannedFor, StartedAt, FinishedAt, Score, Inspection_Site)
  where [System.owner = '[%CurrentUser%]']
}

access Inspection for Planner {
  create, delete, read *, write *
}

access Finding for Inspector {
  create
  read *
  write (Text, Severity, Penalty, Fixed, Finding_Inspection)
  where [System.owner = '[%CurrentUser%]']
}

access Finding for Planner {
  create, delete, read *, write *
}

access Photo for Inspector {
  create, delete, read *, write *
  where [System.owner = '[%CurrentUser%]']
}

access Photo for Planner {
  delete, read *
}

access Feedback for Inspector {
  create
  read *
  write (Text, SentAt, Feedback_Site)
  where [System.owner = '[%CurrentUser%]']
}

access Feedback for Planner {
  delete, read *
}
