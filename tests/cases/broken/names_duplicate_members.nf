module Docs

entity Document {
  Title: String
  Created: DateTime
  Title: String(200)
//~ NF121 @3 Title
}

entity Invoice extends Document {
  Amount: Decimal
  Created: DateTime
//~ NF121 @3 Created
}
