module Sales

entity Order {
  Total: Decimal
}

role User
role Administrator

access Order for Managr {
//~ NF107 @18 Managr
  read *
}

access Order for User {
  read *, write *
}

nanoflow ACT_Order_Open() allow Adminstrator {
//~ NF107 @33 Adminstrator help: Administrator
  log info 'open'
}

microflow MF_Orders_Count() returns Integer allow User, Guest {
//~ NF107 @57 Guest
  return 0
}
