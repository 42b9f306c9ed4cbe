package e164

import "github.com/nyaruka/phonenumbers"

// KnownRegion reports whether s is an ISO 3166 region code that has
// telephone numbers (upper case, e.g. "FR"), as libphonenumber knows them.
func KnownRegion(s string) bool {
	return phonenumbers.GetSupportedRegions()[s]
}
