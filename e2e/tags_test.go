package e2e

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"
)

// Managing tags, and tagging a real call: by id and by name, untagging,
// and a deleted tag disappearing from the calls that carried it.
func TestTagsOnCalls(t *testing.T) {
	t.Parallel()
	r := newRig(t, rigConfig{Phone: &phoneConfig{OOC: "phone_busy.xml"}})
	a := r.api

	lead := a.createTag("lead", "#ff8800")
	if lead.ID == 0 || lead.Name != "lead" || lead.Color != "#ff8800" || lead.CreatedAt == "" || lead.UpdatedAt == "" {
		t.Errorf("POST /api/v2/tags = %+v, want id, name lead, color #ff8800 and times", lead)
	}
	follow := a.createTag("follow-up", "")
	if follow.Color != "#808080" {
		t.Errorf("a tag created without color has %q, want #808080", follow.Color)
	}
	code, env := a.do(http.MethodPost, "/api/v2/tags", tagInput{Name: "lead", Color: "#000000"})
	assertErrorEnvelope(t, code, env, http.StatusConflict, "/api/v2/tags", "A tag named lead already exists")
	for name, in := range map[string]tagInput{
		"no name":       {Color: "#000000"},
		"name too long": {Name: strings.Repeat("x", 65)},
		"color red":     {Name: "red", Color: "red"},
		"short color":   {Name: "short", Color: "#fff"},
	} {
		code, env := a.do(http.MethodPost, "/api/v2/tags", in)
		if code != http.StatusBadRequest {
			t.Errorf("POST /api/v2/tags %s = %d %v, want 400", name, code, env.Errors)
		}
	}

	var tags []tagView
	a.must(http.StatusOK, http.MethodGet, "/api/v2/tags", nil, &tags)
	if got := tagNames(tags); !slices.Equal(got, []string{"follow-up", "lead"}) {
		t.Errorf("GET /api/v2/tags = %v, want [follow-up lead] (by name)", got)
	}
	var one tagView
	a.must(http.StatusOK, http.MethodGet, fmt.Sprintf("/api/v2/tags/%d", lead.ID), nil, &one)
	if one != lead {
		t.Errorf("GET /api/v2/tags/%d = %+v, want %+v", lead.ID, one, lead)
	}
	var patched tagView
	a.must(http.StatusOK, http.MethodPatch, fmt.Sprintf("/api/v2/tags/%d", lead.ID), tagInput{Color: "#00aa00"}, &patched)
	if patched.ID != lead.ID || patched.Name != "lead" || patched.Color != "#00aa00" {
		t.Errorf("PATCH color = %+v, want lead with #00aa00", patched)
	}
	code, env = a.do(http.MethodPatch, fmt.Sprintf("/api/v2/tags/%d", follow.ID), tagInput{Name: "lead"})
	assertErrorEnvelope(t, code, env, http.StatusConflict, fmt.Sprintf("/api/v2/tags/%d", follow.ID), "A tag named lead already exists")

	c := r.startCall(t)
	waitCallEnded(t, a, c.ID, 30*time.Second)
	tagsPath := "/api/v2/calls/" + c.ID + "/tags"

	byID := tagCall(t, a, c.ID, lead.ID)
	assertTags(t, "tagged by id", byID, "lead")
	var byName callView
	a.must(http.StatusOK, http.MethodPost, tagsPath, map[string]string{"name": "follow-up"}, &byName)
	assertTags(t, "tagged by name", byName, "follow-up", "lead")
	assertTags(t, "tagged twice", tagCall(t, a, c.ID, lead.ID), "follow-up", "lead")
	assertTags(t, "GET", a.call(c.ID), "follow-up", "lead")
	if got, _ := a.listCalls(url.Values{"tag": {"lead"}}); !slices.Equal(callIDs(got), []string{c.ID}) {
		t.Errorf("GET /api/v2/calls?tag=lead = %v, want [%s]", callIDs(got), c.ID)
	}

	code, env = a.do(http.MethodPost, tagsPath, map[string]string{"name": "nope"})
	assertErrorEnvelope(t, code, env, http.StatusNotFound, tagsPath, "Tag not found")
	code, env = a.do(http.MethodPost, tagsPath, map[string]int64{"tag_id": 999999})
	assertErrorEnvelope(t, code, env, http.StatusNotFound, tagsPath, "")
	code, env = a.do(http.MethodPost, "/api/v2/calls/call_doesnotexist/tags", map[string]int64{"tag_id": lead.ID})
	assertErrorEnvelope(t, code, env, http.StatusNotFound, "/api/v2/calls/call_doesnotexist/tags", "Call not found")

	var untagged callView
	a.must(http.StatusOK, http.MethodDelete, fmt.Sprintf("%s/%d", tagsPath, lead.ID), nil, &untagged)
	assertTags(t, "untagged", untagged, "follow-up")
	if got, _ := a.listCalls(url.Values{"tag": {"lead"}}); len(got) != 0 {
		t.Errorf("GET /api/v2/calls?tag=lead after untagging = %v, want none", callIDs(got))
	}

	var deleted struct {
		ID      int64 `json:"id"`
		Deleted bool  `json:"deleted"`
	}
	a.must(http.StatusOK, http.MethodDelete, fmt.Sprintf("/api/v2/tags/%d", follow.ID), nil, &deleted)
	if deleted.ID != follow.ID || !deleted.Deleted {
		t.Errorf("DELETE /api/v2/tags/%d = %+v, want {id, deleted: true}", follow.ID, deleted)
	}
	assertTags(t, "after the tag was deleted", a.call(c.ID))
	code, env = a.do(http.MethodGet, fmt.Sprintf("/api/v2/tags/%d", follow.ID), nil)
	assertErrorEnvelope(t, code, env, http.StatusNotFound, fmt.Sprintf("/api/v2/tags/%d", follow.ID), "")
	a.must(http.StatusOK, http.MethodGet, "/api/v2/tags", nil, &tags)
	if got := tagNames(tags); !slices.Equal(got, []string{"lead"}) {
		t.Errorf("GET /api/v2/tags after deleting follow-up = %v, want [lead]", got)
	}
}

func assertTags(t *testing.T, when string, c callView, want ...string) {
	t.Helper()
	if want == nil {
		want = []string{}
	}
	if c.Tags == nil || !slices.Equal(c.tagNames(), want) {
		t.Errorf("%s: call %s has tags %v (null: %v), want %v", when, c.ID, c.tagNames(), c.Tags == nil, want)
	}
}

func tagNames(tags []tagView) []string {
	out := []string{}
	for _, tg := range tags {
		out = append(out, tg.Name)
	}
	return out
}
