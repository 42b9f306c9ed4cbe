package storetest

import (
	"strings"
	"testing"
	"time"

	"github.com/sipsim/sipsim"
)

func TestDiff(t *testing.T) {
	at := time.Date(2024, 1, 15, 10, 30, 0, 123456000, time.UTC)
	paris := at.In(time.FixedZone("CET", 3600))
	tests := []struct {
		name      string
		got, want any
		wantDiff  string // "" when equal, else a part of the description
	}{
		{"equal phones", fullPhone(1), fullPhone(1), ""},
		{"same instant in another zone", &sipsim.Call{EndedAt: &paris}, &sipsim.Call{EndedAt: &at}, ""},
		{"different instant", &sipsim.Call{EndedAt: ptr(at.Add(time.Microsecond))}, &sipsim.Call{EndedAt: &at}, ".EndedAt"},
		{"nil against set pointer", minimalPhone(1), func() *sipsim.Phone { p := minimalPhone(1); p.Group = &sipsim.PhoneGroup{}; return p }(), ".Group: got nil"},
		{"nested field", fullPhone(1), func() *sipsim.Phone {
			p := fullPhone(1)
			p.ForwardingSetting.Conditional.TimeoutSeconds = 26
			return p
		}(), ".ForwardingSetting.Conditional.TimeoutSeconds"},
		{"optional value", fullPhone(1), func() *sipsim.Phone {
			p := fullPhone(1)
			p.AudioSetting.NoAnswerFileID = ptr(int64(99))
			return p
		}(), ".AudioSetting.NoAnswerFileID"},
		{"slice length", []int{1}, []int{1, 2}, "got 1 elements, want 2"},
		{"slice element", []*sipsim.CallEvent{{ID: 1}}, []*sipsim.CallEvent{{ID: 2}}, "[0].ID"},
		{"map", map[int64]bool{1: true}, map[int64]bool{2: true}, "[2]: missing"},
		{"nil and empty slices both empty", []int(nil), []int{}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := diff(tt.got, tt.want)
			if tt.wantDiff == "" && d != "" {
				t.Fatalf("diff = %q, want none", d)
			}
			if tt.wantDiff != "" && !strings.Contains(d, tt.wantDiff) {
				t.Fatalf("diff = %q, want it to mention %q", d, tt.wantDiff)
			}
		})
	}
}

func TestClock(t *testing.T) {
	start := time.Date(2024, 1, 15, 10, 30, 0, 0, time.UTC)
	c := NewClock(start)
	first, second := c.Now(), c.Now()
	if !first.Equal(start) || !second.Equal(start) {
		t.Fatal("clock moved by itself")
	}
	if got := c.Advance(time.Minute); !got.Equal(start.Add(time.Minute)) || !c.Now().Equal(got) {
		t.Fatalf("Advance = %s, Now = %s", got, c.Now())
	}
}
