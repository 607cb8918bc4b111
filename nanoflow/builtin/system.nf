// The built-in module System: part of every app.
module System

entity User {
  Name: String
  Active: Boolean = true
}

entity FileDocument {
  Name: String
  Size: Long
  HasContents: Boolean
}

entity Image extends FileDocument {
}

// Device changes the server had to discard, kept so that nothing is lost.
// System.SynchronizationError is another name for this entity.
entity SynchronizationFailure with owner {
  Reason: String
  ObjectId: String(200)
  ObjectType: String(1000)
  ObjectContent: String
  createdDate: DateTime
}

entity SynchronizationErrorFile extends FileDocument {
}

association SynchronizationErrorFile_SynchronizationError from SynchronizationErrorFile to SynchronizationFailure
