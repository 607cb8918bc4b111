module Inspections

// What a device keeps offline, and what `synchronize all` downloads for each entity.
offline {
  Site: by xpath [Active = true]     // the sites still in use
  Inspection: all                    // every inspection the user may read: an inspector's own
  Finding: all
  Photo: all                         // with the image contents
  Feedback: nothing clear            // uploaded, then removed from the device
  DeviceSettings: never              // stays on the device
}
