// Declarations of the built-in actions (Mendix Nanoflow Commons); the runtime implements them.
// `Object` and `List of Object` stand for an object or list of any entity (built-in modules only).
module NanoflowCommons

enumeration Platform {
  Web 'Web'
  Native_mobile 'Native mobile'
  Hybrid_mobile 'Hybrid mobile'
}

enumeration TimeUnit {
  Milliseconds 'Milliseconds'
  Seconds 'Seconds'
  Minutes 'Minutes'
  Hours 'Hours'
  Days 'Days'
}

enumeration Enum_DistanceUnit {
  KILOMETER 'Kilometer'
  METER 'Meter'
  MILE 'Mile'
  NAUTICAL_MILE 'Nautical mile'
}

action GetStorageItemString($key: String) returns String
action SetStorageItemString($key: String, $value: String)
action GetStorageItemObject($key: String, $entityName: String) returns Object
action SetStorageItemObject($key: String, $value: Object)
action GetStorageItemObjectList($key: String, $entityName: String) returns List of Object
action SetStorageItemObjectList($key: String, $value: List of Object)
action RemoveStorageItem($key: String)
action StorageItemExists($key: String) returns Boolean
action Wait($delay: Integer)
action GenerateUniqueID() returns String
action GetGuid($entityObject: Object) returns String
action GetObjectByGuid($entityName: String, $objectGuid: String) returns Object
action GetPlatform() returns Platform
action IsConnectedToServer() returns Boolean
action Base64Encode($stringToEncode: String) returns String
action Base64Decode($stringToDecode: String) returns String
action TimeBetween($startDate: DateTime, $endDate: DateTime, $unit: TimeUnit) returns Decimal
action GetStraightLineDistance($startLatitude: Decimal, $startLongitude: Decimal, $endLatitude: Decimal, $endLongitude: Decimal, $unit: Enum_DistanceUnit) returns Decimal
action StoreFileFromPath($file: System.FileDocument, $path: String)
action SaveFileToPath($file: System.FileDocument, $path: String)
