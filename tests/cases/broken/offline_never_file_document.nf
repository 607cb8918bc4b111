module Sales

entity Photo extends System.Image {
  Caption: String
}

entity Attachment extends System.FileDocument {
  Purpose: String
}

entity Sketch {
  Strokes: String
}

offline {
  Photo: never
//~ NF508 @3 Photo
  Attachment: never
//~ NF508 @3 Attachment
  Sketch: never
}
