package httpapi

import (
	"errors"
	"slices"
	"testing"
)

// A member given twice is found in nested objects and in objects inside
// arrays, and named by its path; the same name in two objects is fine.
func TestDuplicateMember(t *testing.T) {
	tests := []struct{ body, want string }{
		{`{"group": {"group_id": 5, "group_id": 6}}`, `duplicate field "group.group_id"`},
		{`{"a": [1, {"b": 1, "b": 2}]}`, `duplicate field "a[].b"`},
		{`{"a": {"b": {"c": [], "c": {}}}}`, `duplicate field "a.b.c"`},
		{`{"x": 1, "a": {"x": 1}, "b": [{"x": 1}, {"x": 2}]}`, ""},
		{`{"a": [[], {}], "b": {"a": [], "b": {}}}`, ""},
	}
	for _, tt := range tests {
		err := duplicateMember([]byte(tt.body))
		var he *httpError
		switch {
		case tt.want == "" && err != nil:
			t.Errorf("%s: %v, want no duplicate", tt.body, err)
		case tt.want != "" && (!errors.As(err, &he) || he.status != 400 || !slices.Equal(he.messages, []string{tt.want})):
			t.Errorf("%s: %v, want 400 %q", tt.body, err, tt.want)
		}
	}
}
