package httpapi

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"unicode/utf8"
)

// encoding/json accepts two things a strict reader of outside input must
// refuse, because what is stored would then differ from what was sent or
// from what another reader of the same bytes understood:
//   - bytes that are not UTF-8, which it silently turns into U+FFFD;
//   - a member given twice, of which it keeps the last, while a proxy or
//     firewall that checked the body may have looked at the first.

// errNotUTF8 is the answer to a body with bytes that are not UTF-8.
var errNotUTF8 = badRequest("request body must be UTF-8 text")

// checkUTF8 refuses a body that is not UTF-8.
func checkUTF8(body []byte) error {
	if !utf8.Valid(body) {
		return errNotUTF8
	}
	return nil
}

// jsonFrame is an object or array being walked by duplicateMember.
type jsonFrame struct {
	members map[string]bool // nil for an array
	path    string          // prefix naming its members in messages
	wantKey bool            // an object's next token is a member name
	last    string          // name of the member whose value comes next
}

// duplicateMember returns a 400 naming the first member given twice in
// one object, at any depth. body must already be valid JSON.
func duplicateMember(body []byte) error {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber() // numbers are skipped, not converted: no overflow
	var stack []*jsonFrame
	top := func() *jsonFrame {
		if len(stack) == 0 {
			return nil
		}
		return stack[len(stack)-1]
	}
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return errNotObject
		}
		f := top()
		if f != nil && f.members != nil && f.wantKey {
			if tok == json.Delim('}') {
				stack = stack[:len(stack)-1]
				valueDone(top())
				continue
			}
			name, _ := tok.(string)
			if f.members[name] {
				return badRequest(fmt.Sprintf("duplicate field %q", f.path+name))
			}
			f.members[name], f.wantKey, f.last = true, false, name
			continue
		}
		switch tok {
		case json.Delim('{'):
			stack = append(stack, &jsonFrame{members: map[string]bool{}, path: childPath(f), wantKey: true})
		case json.Delim('['):
			stack = append(stack, &jsonFrame{path: childPath(f)})
		case json.Delim(']'):
			stack = stack[:len(stack)-1]
			valueDone(top())
		default:
			valueDone(f)
		}
	}
}

// valueDone notes that a member's value ended: the object's next token is
// a name again.
func valueDone(f *jsonFrame) {
	if f != nil && f.members != nil {
		f.wantKey = true
	}
}

// childPath names a container's members the way fields.go does:
// "group.group_id"; array elements add "[]".
func childPath(parent *jsonFrame) string {
	switch {
	case parent == nil:
		return ""
	case parent.members != nil:
		return parent.path + parent.last + "."
	}
	return parent.path[:max(0, len(parent.path)-1)] + "[]."
}
