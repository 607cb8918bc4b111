module Device

action Vibrate($milliseconds: Integer)
action ReadBarcode() returns String

microflow MF_Scan() returns String {
  call action Vibrate(milliseconds = 200)
//~ NF510 @3 action
  $code = call action ReadBarcode()
//~ NF510 @3 action
  return $code
}

// Fine: actions run on the device.
nanoflow ACT_Scan() returns String {
  call action Vibrate(milliseconds = 200)
  $code = call action ReadBarcode()
  return $code
}
