package httpapi

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
)

// object reads the members of one JSON object with the types the API
// documents. Decoding by hand rather than into structs lets every message
// name the field and the expected type, tell an absent member from an
// explicit null (PATCH merges on that difference) and find unknown members
// at any depth.
//
// Readers write a member into their destination and report whether they
// did: not when it is absent, nor when its type is wrong, which is recorded
// as a problem that finish reports.
type object struct {
	state   *decodeState
	path    string // prefix naming this object in messages, "" at the top
	members map[string]json.RawMessage
	used    map[string]bool
}

// decodeState is shared by a body's objects: the problems found so far and
// every object read, for the unknown-member check.
type decodeState struct {
	problems []string
	objects  []*object
}

func newObject(members map[string]json.RawMessage) *object {
	st := &decodeState{}
	return st.object("", members)
}

func (st *decodeState) object(path string, members map[string]json.RawMessage) *object {
	o := &object{state: st, path: path, members: members, used: map[string]bool{}}
	st.objects = append(st.objects, o)
	return o
}

// name is how messages refer to a member: its dotted path from the body.
func (o *object) name(member string) string { return o.path + member }

// failf records a problem with the body.
func (o *object) failf(format string, args ...any) {
	o.state.problems = append(o.state.problems, fmt.Sprintf(format, args...))
}

// has reports whether the member is present, null or not.
func (o *object) has(member string) bool {
	_, ok := o.members[member]
	return ok
}

// empty reports whether the object has no members at all.
func (o *object) empty() bool { return len(o.members) == 0 }

// take returns a member's raw value and marks it as known.
func (o *object) take(member string) (raw []byte, present, null bool) {
	v, ok := o.members[member]
	if !ok {
		return nil, false, false
	}
	o.used[member] = true
	raw = bytes.TrimSpace(v)
	return raw, true, string(raw) == "null"
}

// require records "X is required" for each absent member.
func (o *object) require(members ...string) {
	for _, m := range members {
		if !o.has(m) {
			o.failf("%s is required", o.name(m))
		}
	}
}

// readOnly marks members the API computes; sending them is an error.
func (o *object) readOnly(members ...string) {
	for _, m := range members {
		if _, present, _ := o.take(m); present {
			o.failf("%s is read-only", o.name(m))
		}
	}
}

// Str reads a string member into dst; null is a wrong type.
func (o *object) Str(member string, dst *string) bool {
	raw, present, _ := o.take(member)
	if !present {
		return false
	}
	s, ok := decodeString(raw)
	if !ok {
		o.failf("%s must be a string", o.name(member))
		return false
	}
	*dst = s
	return true
}

// NullableStr reads a member that is a string or null (nil) into dst.
func (o *object) NullableStr(member string, dst **string) bool {
	raw, present, null := o.take(member)
	switch {
	case !present:
		return false
	case null:
		*dst = nil
		return true
	}
	s, ok := decodeString(raw)
	if !ok {
		o.failf("%s must be a string or null", o.name(member))
		return false
	}
	*dst = &s
	return true
}

// Int reads an integer member (a JSON number without fraction or exponent
// that fits in 64 bits) into dst; null is a wrong type.
func (o *object) Int(member string, dst *int64) bool {
	raw, present, _ := o.take(member)
	if !present {
		return false
	}
	n, err := strconv.ParseInt(string(raw), 10, 64)
	if err != nil {
		o.failf("%s must be an integer", o.name(member))
		return false
	}
	*dst = n
	return true
}

// NullableInt reads a member that is an integer or null (nil) into dst.
func (o *object) NullableInt(member string, dst **int64) bool {
	raw, present, null := o.take(member)
	switch {
	case !present:
		return false
	case null:
		*dst = nil
		return true
	}
	n, err := strconv.ParseInt(string(raw), 10, 64)
	if err != nil {
		o.failf("%s must be an integer or null", o.name(member))
		return false
	}
	*dst = &n
	return true
}

// Bool reads a boolean member into dst; null is a wrong type.
func (o *object) Bool(member string, dst *bool) bool {
	raw, present, _ := o.take(member)
	if !present {
		return false
	}
	switch string(raw) {
	case "true":
		*dst = true
	case "false":
		*dst = false
	default:
		o.failf("%s must be a boolean", o.name(member))
		return false
	}
	return true
}

// StrList reads a member that is an array of strings, or null (nil),
// into dst.
func (o *object) StrList(member string, dst *[]string) bool {
	raw, present, null := o.take(member)
	switch {
	case !present:
		return false
	case null:
		*dst = nil
		return true
	}
	var list []string
	if len(raw) == 0 || raw[0] != '[' || json.Unmarshal(raw, &list) != nil {
		o.failf("%s must be an array of strings", o.name(member))
		return false
	}
	*dst = list
	return true
}

// Object reads a nested object member; null is a wrong type.
func (o *object) Object(member string) (*object, bool) {
	raw, present, _ := o.take(member)
	if !present {
		return nil, false
	}
	child, ok := o.child(member, raw)
	if !ok {
		o.failf("%s must be an object", o.name(member))
	}
	return child, ok
}

// NullableObject reads a member that is an object or null. present is true
// for both; child is nil for null.
func (o *object) NullableObject(member string) (child *object, present bool) {
	raw, present, null := o.take(member)
	switch {
	case !present:
		return nil, false
	case null:
		return nil, true
	}
	child, ok := o.child(member, raw)
	if !ok {
		o.failf("%s must be an object or null", o.name(member))
		return nil, false
	}
	return child, true
}

func (o *object) child(member string, raw []byte) (*object, bool) {
	if len(raw) == 0 || raw[0] != '{' {
		return nil, false
	}
	var members map[string]json.RawMessage
	if err := json.Unmarshal(raw, &members); err != nil {
		return nil, false
	}
	return o.state.object(o.name(member)+".", members), true
}

// finish reports unknown members (those no reader took) after the other
// problems, and returns them all as one 400, or nil.
func (o *object) finish() error {
	st := o.state
	for _, obj := range st.objects {
		var unknown []string
		for m := range obj.members {
			if !obj.used[m] {
				unknown = append(unknown, m)
			}
		}
		slices.Sort(unknown)
		for _, m := range unknown {
			obj.failf("unknown field %q", obj.name(m))
		}
	}
	if len(st.problems) == 0 {
		return nil
	}
	return badRequest(st.problems...)
}

func decodeString(raw []byte) (string, bool) {
	if len(raw) == 0 || raw[0] != '"' {
		return "", false
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return "", false
	}
	return s, true
}
