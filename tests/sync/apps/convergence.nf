// The app of the convergence property test (tests/sync/test_convergence.py): an entity in each
// offline mode, owner-based, attribute-based and association-path access rules, three roles,
// a reference and a reference set.
module Conv

enumeration Phase {
  Open 'Open'
  Closed 'Closed'
}

role Worker
role Lead
role Guest

entity Task with owner {
  Title: String(40)
  Status: Phase = Open
  Points: Integer
}
entity Step with owner {
  Text: String
  Done: Boolean
}
association Step_Task from Step to Task
entity Job with owner {
  Title: String
  Status: Phase = Open
}
association Job_Tasks from Job to many Task
entity Memo with owner { Text: String }
entity Draft with owner { Text: String }
entity Scratch { Text: String }

access Task for Worker {
  create, delete, read *, write (Title, Status, Points) where [System.owner = '[%CurrentUser%]']
}
access Task for Lead { read (Title, Status), write (Status) where [Status = 'Open'] }
access Task for Guest { read * where [Status = 'Open'] }

access Step for Worker {
  create, delete, read *, write (Text, Done, Step_Task)
  where [Conv.Step_Task/Conv.Task/System.owner = '[%CurrentUser%]']
}
access Step for Lead { read *, write (Done) }

access Job for Worker {
  create, read *, write (Title, Status, Job_Tasks) where [System.owner = '[%CurrentUser%]']
}
access Job for Lead { create, delete, read *, write (Title, Status) }
access Job for Guest { read (Title) }

access Memo for Worker { create, delete, read *, write * where [System.owner = '[%CurrentUser%]'] }
access Memo for Lead { read *, write (Text) }

access Draft for Worker { create, read *, write (Text) where [System.owner = '[%CurrentUser%]'] }
access Draft for Lead { create, delete, read *, write * }
access Draft for Guest { create, write (Text) }

offline {
  Task: all
  Step: all
  Job: by xpath [Status = 'Open']
  Memo: nothing preserve
  Draft: nothing clear
  Scratch: never
}
