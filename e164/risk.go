package e164

import "github.com/nyaruka/phonenumbers"

// NumberType is the kind of line a number reaches, as libphonenumber's
// metadata classifies it from the number alone.
type NumberType string

const (
	FixedLine         NumberType = "fixed_line"
	Mobile            NumberType = "mobile"
	FixedLineOrMobile NumberType = "fixed_line_or_mobile" // e.g. NANP numbers, which do not tell
	TollFree          NumberType = "toll_free"
	PremiumRate       NumberType = "premium_rate"
	SharedCost        NumberType = "shared_cost"
	VoIP              NumberType = "voip"
	PersonalNumber    NumberType = "personal_number"
	Pager             NumberType = "pager"
	UAN               NumberType = "uan" // "universal access" company numbers
	Voicemail         NumberType = "voicemail"
	Unknown           NumberType = "unknown"
)

var typeByLibrary = map[phonenumbers.PhoneNumberType]NumberType{
	phonenumbers.FIXED_LINE:           FixedLine,
	phonenumbers.MOBILE:               Mobile,
	phonenumbers.FIXED_LINE_OR_MOBILE: FixedLineOrMobile,
	phonenumbers.TOLL_FREE:            TollFree,
	phonenumbers.PREMIUM_RATE:         PremiumRate,
	phonenumbers.SHARED_COST:          SharedCost,
	phonenumbers.VOIP:                 VoIP,
	phonenumbers.PERSONAL_NUMBER:      PersonalNumber,
	phonenumbers.PAGER:                Pager,
	phonenumbers.UAN:                  UAN,
	phonenumbers.VOICEMAIL:            Voicemail,
}

// TypeOf returns the type of an E.164 number; Unknown when it cannot be
// parsed or fits no pattern of its country (never the case for a number
// Valid accepts).
func TypeOf(s string) NumberType {
	n, err := phonenumbers.Parse(s, "")
	if err != nil {
		return Unknown
	}
	if t, ok := typeByLibrary[phonenumbers.GetNumberType(n)]; ok {
		return t
	}
	return Unknown
}

// HighRisk reports whether calls to numbers of type t are refused as toll
// fraud risks. Toll fraud pays off where the called number shares its
// revenue with whoever holds it, so the list is the types that carry a
// surcharge or route somewhere no customer is:
//   - PremiumRate: the surcharge is the fraud's payout (France's 089x).
//   - SharedCost: a surcharge too, revenue shared with the holder (France's
//     081x and 082x, Germany's 0180).
//   - PersonalNumber and Pager: follow-me and pager ranges (the UK's 070 and
//     076) are charged like premium rate yet look like mobile numbers; they
//     are the classic disguise of revenue-share scams.
//   - Voicemail: mailbox access numbers reach no customer, only mailbox
//     systems, whose break-ins are themselves a fraud route.
//   - Unknown: fail closed on what the metadata cannot classify.
//
// Fixed, mobile, VoIP (France's 09 lines), toll-free and UAN numbers (company
// numbers charged as ordinary calls, e.g. France's 0806) are what a CRM
// calls, and are allowed.
func (t NumberType) HighRisk() bool {
	switch t {
	case PremiumRate, SharedCost, PersonalNumber, Pager, Voicemail, Unknown:
		return true
	}
	return false
}

// Label names the type for a sentence: "Calls to premium-rate numbers".
func (t NumberType) Label() string {
	switch t {
	case FixedLine:
		return "fixed-line"
	case Mobile:
		return "mobile"
	case FixedLineOrMobile:
		return "fixed-line or mobile"
	case TollFree:
		return "toll-free"
	case PremiumRate:
		return "premium-rate"
	case SharedCost:
		return "shared-cost"
	case VoIP:
		return "VoIP"
	case PersonalNumber:
		return "personal"
	case Pager:
		return "pager"
	case UAN:
		return "universal access"
	case Voicemail:
		return "voicemail access"
	}
	return "unclassified"
}
