module Sales

// What a device keeps offline. Every entity a nanoflow retrieves, creates or commits is here.
offline {
  Sales.Order: all
  Sales.Customer: by xpath [Active = true]
  Sales.Tag: nothing preserve
  Sales.AuditEntry: nothing clear
  Sales.OrderPhoto: all
  Sales.OrderLine: all
}
