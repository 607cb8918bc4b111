module Device

action Vibrate($milliseconds: Integer)
action ReadBarcode() returns String

nanoflow ACT_Scan() returns String {
  call action Vibrte(milliseconds = 200)
//~ NF109 @15 Vibrte help: Vibrate
  $id = call action NanoflowCommons.GenerateUUID()
//~ NF109 @21 NanoflowCommons.GenerateUUID
  $code = call action ReadBarcode()
  return $code + $id
}
