module Docs

enumeration Kind {
  Letter 'Letter'
  Invoice 'Invoice'
}

entity Document extends System.FileDocument {
  Kind: Kind
  Signed: Boolean
}

entity Scan extends Document {
  Pages: Integer
}

nanoflow ACT_Document_Open($document: System.FileDocument) {
  switch type $document {
    case Scan { log info 'scan' }
    case Document { log info 'document' }
    case Docs.Scan { log info 'scan again' }
//~ NF404 @10 Scan
    else { log info 'file' }
  }
}

nanoflow ACT_Document_Kind($document: Document) {
  switch $document/Kind {
    case Letter { log info 'letter' }
    case Invoice, Letter { log info 'invoice' }
//~ NF404 @19 Letter
    case empty { log info 'none' }
  }
  switch $document/Signed {
    case true { log info 'signed' }
    case false { log info 'unsigned' }
    case true { log info 'signed again' }
//~ NF404 @10 true
  }
}
