package httpapi

import (
	"encoding/json"
	"errors"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/sipsim/sipsim"
	"github.com/sipsim/sipsim/wire"
)

func TestCreateTag(t *testing.T) {
	a := newTestAPI(t)
	var data json.RawMessage
	rec := a.do(t, http.MethodPost, "/api/v2/tags", scopeToken(sipsim.ScopeCallsWrite), `{"name": "  lead ", "color": "#FF8800"}`)
	checkData(t, rec, http.StatusCreated, &data)
	jsonEqual(t, data, `{"id": 1, "name": "lead", "color": "#ff8800", "created_at": "2024-01-15T10:30:00Z", "updated_at": "2024-01-15T10:30:00Z"}`)
	if got := rec.Header().Get("Location"); got != "/api/v2/tags/1" {
		t.Errorf("Location = %q", got)
	}
	var tag wire.Tag
	checkData(t, a.do(t, http.MethodPost, "/api/v2/tags", tokAll, `{"name": "follow-up"}`), http.StatusCreated, &tag)
	if tag.Color != "#808080" {
		t.Errorf("default color = %q, want #808080", tag.Color)
	}
	if a.tags.tags[2].AccountID != 1 {
		t.Errorf("tag stored in account %d", a.tags.tags[2].AccountID)
	}
}

func TestCreateTagInvalid(t *testing.T) {
	nameMsg := "name must be 1 to 64 characters"
	colorMsg := `color must be a hex color "#rrggbb", e.g. "#ff8800"`
	tests := []struct {
		body string
		want []string
	}{
		{`{}`, []string{"name is required"}},
		{`{"name": "   "}`, []string{nameMsg}},
		{`{"name": "` + strings.Repeat("é", 65) + `"}`, []string{nameMsg}},
		{`{"name": 5}`, []string{"name must be a string"}},
		{`{"name": "lead", "color": "red"}`, []string{colorMsg}},
		{`{"name": "lead", "color": "#ff880"}`, []string{colorMsg}},
		{`{"name": "lead", "color": null}`, []string{"color must be a string"}},
		{`{"name": "lead", "id": 4}`, []string{"id is read-only"}},
		{`{"name": "lead", "colour": "#ff8800"}`, []string{`unknown field "colour"`}},
		{`[]`, []string{"request body must be a JSON object"}},
	}
	for _, tt := range tests {
		a := newTestAPI(t)
		errs := checkError(t, a.do(t, http.MethodPost, "/api/v2/tags", tokAll, tt.body), http.StatusBadRequest, "/api/v2/tags")
		if !slices.Equal(errs, tt.want) {
			t.Errorf("%s: errors = %q, want %q", tt.body, errs, tt.want)
		}
		if len(a.tags.tags) != 0 {
			t.Errorf("%s: a tag was stored", tt.body)
		}
	}
}

func TestCreateTagDuplicateName(t *testing.T) {
	a := newTestAPI(t)
	a.addTag(1, "lead")
	checkErrorMessage(t, a.do(t, http.MethodPost, "/api/v2/tags", tokAll, `{"name": "lead"}`), 409, "/api/v2/tags", "A tag named lead already exists")
	// Names are unique per account only.
	checkData(t, a.do(t, http.MethodPost, "/api/v2/tags", tokOther, `{"name": "lead"}`), http.StatusCreated, nil)
}

func TestListAndGetTags(t *testing.T) {
	a := newTestAPI(t)
	a.addTag(1, "vip")
	a.addTag(2, "lead")
	a.tags.tags[3] = &sipsim.Tag{ID: 3, AccountID: 2, Name: "theirs"}
	var tags []wire.Tag
	checkData(t, a.do(t, http.MethodGet, "/api/v2/tags", scopeToken(sipsim.ScopeCallsRead), ""), http.StatusOK, &tags)
	if len(tags) != 2 || tags[0].Name != "lead" || tags[1].Name != "vip" {
		t.Errorf("tags = %+v, want lead then vip", tags)
	}
	var tag wire.Tag
	checkData(t, a.do(t, http.MethodGet, "/api/v2/tags/1", tokAll, ""), http.StatusOK, &tag)
	if tag.ID != 1 || tag.Name != "vip" {
		t.Errorf("tag = %+v", tag)
	}
	checkErrorMessage(t, a.do(t, http.MethodGet, "/api/v2/tags/3", tokAll, ""), 404, "/api/v2/tags/3", "Tag not found")
	checkErrorMessage(t, a.do(t, http.MethodGet, "/api/v2/tags/x", tokAll, ""), 400, "/api/v2/tags/x", "id must be a positive integer")
	checkErrorMessage(t, a.do(t, http.MethodGet, "/api/v2/tags?name=vip", tokAll, ""), 400, "/api/v2/tags", `unknown query parameter "name"`)
	a.tags.err = errors.New("tags table locked")
	checkErrorMessage(t, a.do(t, http.MethodGet, "/api/v2/tags", tokAll, ""), 500, "/api/v2/tags", "Internal error")
}

func TestUpdateTag(t *testing.T) {
	a := newTestAPI(t)
	a.addTag(1, "lead")
	a.addTag(2, "vip")
	var tag wire.Tag
	checkData(t, a.do(t, http.MethodPatch, "/api/v2/tags/1", tokAll, `{"color": "#00AA55"}`), http.StatusOK, &tag)
	if tag.Name != "lead" || tag.Color != "#00aa55" {
		t.Errorf("tag = %+v, want lead recoloured", tag)
	}
	checkData(t, a.do(t, http.MethodPatch, "/api/v2/tags/1", tokAll, `{"name": "hot lead"}`), http.StatusOK, &tag)
	if tag.Name != "hot lead" || tag.Color != "#00aa55" {
		t.Errorf("tag = %+v, want renamed, colour kept", tag)
	}
	checkData(t, a.do(t, http.MethodPatch, "/api/v2/tags/1", tokAll, `{}`), http.StatusOK, &tag)
	if tag.Name != "hot lead" {
		t.Errorf("empty PATCH changed the tag: %+v", tag)
	}

	checkErrorMessage(t, a.do(t, http.MethodPatch, "/api/v2/tags/1", tokAll, `{"name": "vip"}`), 409, "/api/v2/tags/1", "A tag named vip already exists")
	checkErrorMessage(t, a.do(t, http.MethodPatch, "/api/v2/tags/1", tokAll, `{"name": ""}`), 400, "/api/v2/tags/1", "name must be 1 to 64 characters")
	checkErrorMessage(t, a.do(t, http.MethodPatch, "/api/v2/tags/1", tokAll, `{"updated_at": "now"}`), 400, "/api/v2/tags/1", "updated_at is read-only")
	checkErrorMessage(t, a.do(t, http.MethodPatch, "/api/v2/tags/9", tokAll, `{"name": "x"}`), 404, "/api/v2/tags/9", "Tag not found")
	checkErrorMessage(t, a.do(t, http.MethodPatch, "/api/v2/tags/1", tokOther, `{"name": "x"}`), 404, "/api/v2/tags/1", "Tag not found")
}

func TestDeleteTag(t *testing.T) {
	a := newTestAPI(t)
	a.addTag(1, "lead")
	var data json.RawMessage
	checkData(t, a.do(t, http.MethodDelete, "/api/v2/tags/1", scopeToken(sipsim.ScopeCallsWrite), ""), http.StatusOK, &data)
	jsonEqual(t, data, `{"id": 1, "deleted": true}`)
	checkErrorMessage(t, a.do(t, http.MethodDelete, "/api/v2/tags/1", tokAll, ""), 404, "/api/v2/tags/1", "Tag not found")
}

func TestTagCall(t *testing.T) {
	a := newTestAPI(t)
	c, events := endedCall()
	a.calls.calls[c.ID] = c
	a.calls.events[c.ID] = events
	a.addTag(1, "lead")
	a.addTag(2, "vip")

	var call wire.Call
	checkData(t, a.do(t, http.MethodPost, "/api/v2/calls/call_done/tags", scopeToken(sipsim.ScopeCallsWrite), `{"tag_id": 2}`), http.StatusOK, &call)
	checkData(t, a.do(t, http.MethodPost, "/api/v2/calls/call_done/tags", tokAll, `{"name": " lead "}`), http.StatusOK, &call)
	checkData(t, a.do(t, http.MethodPost, "/api/v2/calls/call_done/tags", tokAll, `{"name": "lead"}`), http.StatusOK, &call)
	if names := tagNames(call); !slices.Equal(names, []string{"lead", "vip"}) {
		t.Errorf("tags = %v, want lead and vip once each", names)
	}
	if len(call.Events) != len(events) {
		t.Errorf("the answer lacks the timeline: %+v", call.Events)
	}

	checkData(t, a.do(t, http.MethodDelete, "/api/v2/calls/call_done/tags/2", tokAll, ""), http.StatusOK, &call)
	if names := tagNames(call); !slices.Equal(names, []string{"lead"}) {
		t.Errorf("tags after untag = %v", names)
	}
	checkData(t, a.do(t, http.MethodDelete, "/api/v2/calls/call_done/tags/2", tokAll, ""), http.StatusOK, &call)
}

func tagNames(c wire.Call) []string {
	var out []string
	for _, t := range c.Tags {
		out = append(out, t.Name)
	}
	return out
}

func TestTagCallErrors(t *testing.T) {
	a := newTestAPI(t)
	c, _ := endedCall()
	a.calls.calls[c.ID] = c
	a.addTag(1, "lead")
	a.tags.tags[5] = &sipsim.Tag{ID: 5, AccountID: 2, Name: "theirs"}
	const path = "/api/v2/calls/call_done/tags"
	tests := []struct {
		path, body string
		status     int
		want       string
	}{
		{path, `{}`, 400, "tag_id or name is required"},
		{path, `{"tag_id": 1, "name": "lead"}`, 400, "give tag_id or name, not both"},
		{path, `{"tag_id": 0}`, 400, "tag_id must be a positive integer"},
		{path, `{"tag_id": "1"}`, 400, "tag_id must be an integer"},
		{path, `{"name": ""}`, 400, "name must not be empty"},
		{path, `{"tag": "lead"}`, 400, `unknown field "tag"`},
		{path, `{"name": "nope"}`, 404, "Tag not found"},
		{path, `{"tag_id": 9}`, 404, "Tag not found"},
		{path, `{"tag_id": 5}`, 404, "Tag not found"},
		{path, `{"name": "theirs"}`, 404, "Tag not found"},
		{"/api/v2/calls/call_nope/tags", `{"name": "lead"}`, 404, "Call not found"},
	}
	for _, tt := range tests {
		checkErrorMessage(t, a.do(t, http.MethodPost, tt.path, tokAll, tt.body), tt.status, tt.path, tt.want)
	}
	checkErrorMessage(t, a.do(t, http.MethodPost, path, tokOther, `{"name": "theirs"}`), 404, path, "Call not found")
	checkErrorMessage(t, a.do(t, http.MethodDelete, path+"/abc", tokAll, ""), 400, path+"/abc", "tag_id must be a positive integer")
	checkErrorMessage(t, a.do(t, http.MethodDelete, path+"/9", tokAll, ""), 404, path+"/9", "Tag not found")
	checkErrorMessage(t, a.do(t, http.MethodDelete, "/api/v2/calls/call_nope/tags/1", tokAll, ""), 404, "/api/v2/calls/call_nope/tags/1", "Call not found")
	if len(c.Tags) != 0 {
		t.Errorf("a failed request tagged the call: %+v", c.Tags)
	}
}
