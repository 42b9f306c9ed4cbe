package e164

import "testing"

// The numbers toll fraud targets are classified as such, and the numbers a
// CRM calls are not: a metadata update that moved a range would show here.
func TestTypeOfAndHighRisk(t *testing.T) {
	tests := []struct {
		number   string
		typ      NumberType
		highRisk bool
		region   string
	}{
		{"+33891234567", PremiumRate, true, "FR"},
		{"+33899123456", PremiumRate, true, "FR"},
		{"+33810123456", SharedCost, true, "FR"},
		{"+491801234567", SharedCost, true, "DE"},
		{"+447012345678", PersonalNumber, true, "GB"},
		{"+447640123456", Pager, true, "GB"},
		{"+49177991234567", Voicemail, true, "DE"},
		{"+449012345678", PremiumRate, true, "GB"},
		{"+19002345678", PremiumRate, true, "US"},
		{"+33698765432", Mobile, false, "FR"},
		{"+33187654321", FixedLine, false, "FR"},
		{"+33987654321", VoIP, false, "FR"},
		{"+33800123456", TollFree, false, "FR"},
		{"+33806123456", UAN, false, "FR"},
		{"+14155552671", FixedLineOrMobile, false, "US"},
		{"+4915123456789", Mobile, false, "DE"},
	}
	for _, tt := range tests {
		if !Valid(tt.number) {
			t.Errorf("%s is not valid: the table must use assignable numbers", tt.number)
		}
		got := TypeOf(tt.number)
		if got != tt.typ {
			t.Errorf("TypeOf(%s) = %s, want %s", tt.number, got, tt.typ)
		}
		if got.HighRisk() != tt.highRisk {
			t.Errorf("%s (%s): HighRisk = %v, want %v", tt.number, got, got.HighRisk(), tt.highRisk)
		}
		if r := Region(tt.number); r != tt.region {
			t.Errorf("Region(%s) = %q, want %q", tt.number, r, tt.region)
		}
	}
}

// Whatever cannot be classified is refused: the check fails closed.
func TestUnparsableNumberIsUnknownAndHighRisk(t *testing.T) {
	for _, s := range []string{"", "+", "hello", "+4990012345678"} {
		if got := TypeOf(s); got != Unknown || !got.HighRisk() {
			t.Errorf("TypeOf(%q) = %s (high risk %v), want unknown and high risk", s, got, got.HighRisk())
		}
	}
}

func TestLabelNamesEveryType(t *testing.T) {
	for typ, want := range map[NumberType]string{
		PremiumRate: "premium-rate", SharedCost: "shared-cost", PersonalNumber: "personal", Pager: "pager",
		Voicemail: "voicemail access", Unknown: "unclassified", Mobile: "mobile", UAN: "universal access",
	} {
		if got := typ.Label(); got != want {
			t.Errorf("%s.Label() = %q, want %q", typ, got, want)
		}
	}
	for _, typ := range typeByLibrary {
		if typ.Label() == "unclassified" {
			t.Errorf("%s has no label of its own", typ)
		}
	}
}
