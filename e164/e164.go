// Package e164 validates and normalises telephone numbers. The API accepts
// only E.164 ("+" then country code and subscriber number, no spaces); when a
// caller sends a national form, Suggest tells them the E.164 spelling so the
// error message can say what a valid number looks like.
package e164

import (
	"regexp"

	"github.com/nyaruka/phonenumbers"
)

// strict is the E.164 shape: a plus, a non-zero digit, at most 15 digits.
var strict = regexp.MustCompile(`^\+[1-9][0-9]{1,14}$`)

// Valid reports whether s is written in E.164 and is a number that
// libphonenumber knows to be assignable (right length and prefix for its
// country).
func Valid(s string) bool {
	if !strict.MatchString(s) {
		return false
	}
	n, err := phonenumbers.Parse(s, "")
	if err != nil {
		return false
	}
	return phonenumbers.IsValidNumber(n)
}

// Region returns the ISO 3166 region of a valid E.164 number ("FR"), or "".
func Region(s string) string {
	n, err := phonenumbers.Parse(s, "")
	if err != nil {
		return ""
	}
	return phonenumbers.GetRegionCodeForNumber(n)
}

// Suggest returns the E.164 form of s read as a number of region (for a
// national form such as "06 12 34 56 78" in "FR"), or "" when s cannot be
// read as a valid number there.
func Suggest(s, region string) string {
	if len(s) > 64 {
		return ""
	}
	n, err := phonenumbers.Parse(s, region)
	if err != nil || !phonenumbers.IsValidNumber(n) {
		return ""
	}
	return phonenumbers.Format(n, phonenumbers.E164)
}
