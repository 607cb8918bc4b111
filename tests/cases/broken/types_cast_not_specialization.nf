module Docs

entity Document extends System.FileDocument {
  Title: String
}

entity Customer {
  Name: String
}

nanoflow ACT_File_Open($file: System.FileDocument) {
  $customer = cast $file to Customer
//~ NF312 @29 Customer
  switch type $file {
    case Customer { log info 'customer?' }
//~ NF312 @10 Customer
    case Document {
      $document = cast $file to Document
      log info $document/Title
    }
    else { log info 'a file' }
  }
}
