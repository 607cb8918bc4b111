module Sales

entity Order {
  Total: Decimal
}

entity AuditEntry {
  Text: String
}

offline {
  Order: all
}

nanoflow ACT_Audit_List() returns Integer {
  $entries = retrieve AuditEntry
//~ NF504 @23 AuditEntry
  return count($entries)
}

nanoflow ACT_Audit_Write($order: Order) {
  commit $order
  $entry = create AuditEntry (Text = 'order saved')
//~ NF504 @19 AuditEntry
  commit $entry
//~ NF504 @10 AuditEntry
}

// Fine: a microflow runs on the server, which has every entity.
microflow MF_Audit_Write() {
  $entry = create AuditEntry (Text = 'server side')
  commit $entry
}
