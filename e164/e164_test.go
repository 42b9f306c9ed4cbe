package e164

import "testing"

func TestValid(t *testing.T) {
	tests := []struct {
		in   string
		want bool
	}{
		{"+33612345678", true},
		{"+442071838750", true},
		{"0612345678", false},
		{"06 12 34 56 78", false},
		{"+33 6 12 34 56 78", false},
		{"+3361234567", false}, // too short for France
		{"+0612345678", false}, // no country code 0
		{"+336123456789012345", false},
		{"", false},
		{"+", false},
		{"33612345678", false},
		{"+33612345678\n", false},
	}
	for _, tt := range tests {
		if got := Valid(tt.in); got != tt.want {
			t.Errorf("Valid(%q) = %v, want %v", tt.in, got, tt.want)
		}
	}
}

func TestSuggest(t *testing.T) {
	tests := []struct{ in, region, want string }{
		{"0612345678", "FR", "+33612345678"},
		{"06 12 34 56 78", "FR", "+33612345678"},
		{"+33 6 12 34 56 78", "", "+33612345678"},
		{"020 7183 8750", "GB", "+442071838750"},
		{"12", "FR", ""},
		{"hello", "FR", ""},
		{"0612345678", "", ""},
	}
	for _, tt := range tests {
		if got := Suggest(tt.in, tt.region); got != tt.want {
			t.Errorf("Suggest(%q, %q) = %q, want %q", tt.in, tt.region, got, tt.want)
		}
	}
}

func TestRegion(t *testing.T) {
	if got := Region("+33612345678"); got != "FR" {
		t.Errorf("Region = %q, want FR", got)
	}
}

func FuzzValid(f *testing.F) {
	for _, s := range []string{"+33612345678", "0612345678", "+", "++1", "+1 (202) 555-0123"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if Valid(s) && !strict.MatchString(s) {
			t.Fatalf("Valid accepted non-E.164 %q", s)
		}
		if sug := Suggest(s, "FR"); sug != "" && !Valid(sug) {
			t.Fatalf("Suggest(%q) = %q which is not valid", s, sug)
		}
	})
}

func TestKnownRegion(t *testing.T) {
	for s, want := range map[string]bool{"FR": true, "DE": true, "US": true, "fr": false, "XX": false, "": false, "FRA": false} {
		if got := KnownRegion(s); got != want {
			t.Errorf("KnownRegion(%q) = %v, want %v", s, got, want)
		}
	}
}
