package client

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"testing"
	"time"
)

func TestListCallsSendsEveryFilter(t *testing.T) {
	var got url.Values
	c, _ := newTestClient(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = r.URL.Query()
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"status":200,"request_id":"r","timestamp":"t","data":[{"id":"call_2"},{"id":"call_1"}],"next_cursor":"abc"}`))
	}))
	after := time.Date(2026, 1, 15, 10, 30, 0, 0, time.FixedZone("CET", 3600))
	page, err := c.ListCalls(context.Background(), ListCallsParams{
		Statuses:     []CallStatus{"completed", "busy"},
		PhoneID:      7,
		TargetNumber: "+33698765432",
		Tag:          "lead",
		CreatedAfter: after, CreatedBefore: after.Add(time.Hour),
		EndedReasons: []EndReason{"target_busy", "agent_busy"},
		Limit:        50,
		Cursor:       "prev",
	})
	if err != nil {
		t.Fatal(err)
	}
	want := url.Values{
		"status": {"completed", "busy"}, "phone_id": {"7"}, "target_number": {"+33698765432"}, "tag": {"lead"},
		"created_after": {"2026-01-15T09:30:00Z"}, "created_before": {"2026-01-15T10:30:00Z"},
		"ended_reason": {"target_busy", "agent_busy"}, "limit": {"50"}, "cursor": {"prev"},
	}
	if len(got) != len(want) {
		t.Fatalf("query %v, want %v", got, want)
	}
	for k, v := range want {
		if !slices.Equal(got[k], v) {
			t.Errorf("query %s = %q, want %q", k, got[k], v)
		}
	}
	if len(page.Calls) != 2 || page.Calls[0].ID != "call_2" || page.NextCursor != "abc" {
		t.Fatalf("page %+v", page)
	}
}

func TestAllCallsFollowsCursorsToTheLastPage(t *testing.T) {
	pages := map[string]string{
		"":   `{"status":200,"data":[{"id":"call_5"},{"id":"call_4"}],"next_cursor":"c1"}`,
		"c1": `{"status":200,"data":[{"id":"call_3"},{"id":"call_2"}],"next_cursor":"c2"}`,
		"c2": `{"status":200,"data":[{"id":"call_1"}],"next_cursor":null}`,
	}
	c, _ := newTestClient(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("limit") != "2" || r.URL.Query().Get("status") != "completed" {
			writeErrors(w, r, 400, "", "filters lost between pages: "+r.URL.RawQuery)
			return
		}
		_, _ = w.Write([]byte(pages[r.URL.Query().Get("cursor")]))
	}))
	var ids []string
	for call, err := range c.AllCalls(context.Background(), ListCallsParams{Limit: 2, Statuses: []CallStatus{"completed"}}) {
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, call.ID)
	}
	if want := []string{"call_5", "call_4", "call_3", "call_2", "call_1"}; !slices.Equal(ids, want) {
		t.Fatalf("ids %v, want %v", ids, want)
	}
}

func TestAllCallsYieldsTheErrorOnce(t *testing.T) {
	c, _ := newTestClient(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		writeErrors(w, r, 400, "", "cursor is invalid")
	}))
	n := 0
	for call, err := range c.AllCalls(context.Background(), ListCallsParams{Cursor: "junk"}) {
		n++
		if call != nil || !IsInvalid(err) {
			t.Fatalf("got %v, %v", call, err)
		}
	}
	if n != 1 {
		t.Fatalf("%d items, want the error once", n)
	}
}

func TestPhoneParamsSendOnlyWhatIsSet(t *testing.T) {
	tests := []struct {
		p    PhoneParams
		want string
	}{
		{PhoneParams{Name: new("Alice"), InternalNumber: new(101), SIPPassword: new("secret-101")},
			`{"name":"Alice","internal_number":101,"sip_password":"secret-101"}`},
		{PhoneParams{ClearGroup: true}, `{"group":null}`},
		{PhoneParams{Group: &PhoneGroup{GroupID: 5, GroupTitle: "Sales"}}, `{"group":{"group_id":5,"group_title":"Sales"}}`},
		{PhoneParams{}, `{}`},
	}
	for _, tt := range tests {
		b, err := json.Marshal(tt.p)
		if err != nil {
			t.Fatal(err)
		}
		if string(b) != tt.want {
			t.Errorf("marshal = %s, want %s", b, tt.want)
		}
	}
}

func TestPathsAndMethods(t *testing.T) {
	type seen struct{ method, path, body string }
	var got []seen
	c, _ := newTestClient(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var body json.RawMessage
		_ = json.NewDecoder(r.Body).Decode(&body)
		got = append(got, seen{r.Method, r.URL.RequestURI(), string(body)})
		writeData(w, 200, nil)
	}))
	ctx := context.Background()
	steps := []func() error{
		func() error { _, err := c.ListPhones(ctx, ListPhonesParams{Status: "active"}); return err },
		func() error { _, err := c.HangUp(ctx, "call_a b"); return err },
		func() error { _, err := c.TagCall(ctx, "call_a", 3); return err },
		func() error { _, err := c.TagCallByName(ctx, "call_a", "lead"); return err },
		func() error { _, err := c.UntagCall(ctx, "call_a", 3); return err },
		func() error { _, err := c.UpdateTag(ctx, 3, TagParams{Color: "#ff0000"}); return err },
		func() error { return c.DeleteWebhook(ctx, 9) },
		func() error { _, err := c.WebhookDeliveries(ctx, 9, DeliveriesParams{Limit: 5}); return err },
	}
	for _, step := range steps {
		if err := step(); err != nil {
			t.Fatal(err)
		}
	}
	want := []seen{
		{"GET", "/api/v2/phones?status=active", ""},
		{"POST", "/api/v2/calls/call_a%20b/hangup", ""},
		{"POST", "/api/v2/calls/call_a/tags", `{"tag_id":3}`},
		{"POST", "/api/v2/calls/call_a/tags", `{"name":"lead"}`},
		{"DELETE", "/api/v2/calls/call_a/tags/3", ""},
		{"PATCH", "/api/v2/tags/3", `{"color":"#ff0000"}`},
		{"DELETE", "/api/v2/webhooks/9", ""},
		{"GET", "/api/v2/webhooks/9/deliveries?limit=5", ""},
	}
	if !slices.Equal(got, want) {
		t.Fatalf("requests\n%v\nwant\n%v", got, want)
	}
}
