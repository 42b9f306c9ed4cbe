package httpapi

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sipsim/sipsim"
	"github.com/sipsim/sipsim/wire"
)

// phoneNames lists the phones of GET target as name:registration status.
func phoneNames(t *testing.T, a *testAPI, target, token string) []string {
	t.Helper()
	var phones []wire.Phone
	checkData(t, a.do(t, http.MethodGet, target, token, ""), http.StatusOK, &phones)
	out := make([]string, 0, len(phones))
	for _, p := range phones {
		out = append(out, p.Name+":"+p.Registration.Status)
	}
	return out
}

func TestPhoneListKeptWhileItsVersionStands(t *testing.T) {
	a := newTestAPI(t)
	a.versions.set(sipsim.ListPhones, 7)
	p := documentPhone()
	a.addPhone(p)
	a.register(p.ID, "sip:101@192.0.2.1")
	want := []string{"Sales Department Phone:registered"}
	if got := phoneNames(t, a, "/api/v2/phones", tokAll); !slices.Equal(got, want) {
		t.Fatalf("first list = %v, want %v", got, want)
	}

	// The fakes do not raise the version: a change the store has not
	// versioned is not seen, which shows the rendering is served again.
	a.phones.mu.Lock()
	p.Name = "Renamed"
	a.phones.mu.Unlock()
	if got := phoneNames(t, a, "/api/v2/phones", tokAll); !slices.Equal(got, want) {
		t.Fatalf("list at the same version = %v, want the kept %v", got, want)
	}
	// Another account at the same version has its own list.
	if got := phoneNames(t, a, "/api/v2/phones", tokOther); len(got) != 0 {
		t.Fatalf("account 2 sees %v", got)
	}

	a.versions.set(sipsim.ListPhones, 8)
	want = []string{"Renamed:registered"}
	if got := phoneNames(t, a, "/api/v2/phones", tokAll); !slices.Equal(got, want) {
		t.Fatalf("list after the version moved = %v, want %v", got, want)
	}
}

func TestPhoneListRenderedAgainWhenABindingExpires(t *testing.T) {
	var mu sync.Mutex
	now := testNow
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	a := newTestAPIWith(t, func(c *Config) { c.Now = clock })
	a.versions.set(sipsim.ListPhones, 1)
	p := documentPhone()
	a.addPhone(p)
	a.register(p.ID, "sip:101@192.0.2.1") // expires at testNow + 1h

	list := func() []string {
		var phones []wire.Phone
		rec := a.do(t, http.MethodGet, "/api/v2/phones", tokAll, "")
		if rec.Code != http.StatusOK {
			t.Fatalf("GET /api/v2/phones: %d %s", rec.Code, rec.Body)
		}
		if err := json.Unmarshal(envelopeKeys(t, rec)["data"], &phones); err != nil {
			t.Fatal(err)
		}
		out := []string{}
		for _, p := range phones {
			out = append(out, p.Registration.Status)
		}
		return out
	}
	if got := list(); !slices.Equal(got, []string{"registered"}) {
		t.Fatalf("before expiry: %v", got)
	}
	mu.Lock()
	now = testNow.Add(time.Hour - time.Microsecond)
	mu.Unlock()
	if got := list(); !slices.Equal(got, []string{"registered"}) {
		t.Fatalf("a microsecond before expiry: %v", got)
	}
	// No write, no new version: the binding just ran out.
	mu.Lock()
	now = testNow.Add(time.Hour)
	mu.Unlock()
	if got := list(); !slices.Equal(got, []string{"unregistered"}) {
		t.Fatalf("at expiry: %v, want the phone unregistered", got)
	}
}

func TestListsKeptPerQuery(t *testing.T) {
	a := newTestAPI(t)
	a.versions.set(sipsim.ListPhones, 1)
	a.versions.set(sipsim.ListCalls, 1)
	active, off := documentPhone(), documentPhone()
	off.ID, off.InternalNumber, off.Name, off.Status = 124, 102, "Spare", sipsim.PhoneInactive
	a.addPhone(active)
	a.addPhone(off)
	if got := phoneNames(t, a, "/api/v2/phones?status=inactive", tokAll); !slices.Equal(got, []string{"Spare:unregistered"}) {
		t.Fatalf("inactive phones = %v", got)
	}
	if got := phoneNames(t, a, "/api/v2/phones?status=active", tokAll); !slices.Equal(got, []string{"Sales Department Phone:unregistered"}) {
		t.Fatalf("active phones = %v", got)
	}

	// Each page keeps its own cursor, served again as it was.
	a.addCalls(3)
	first := a.do(t, http.MethodGet, "/api/v2/calls?limit=2", tokAll, "")
	again := a.do(t, http.MethodGet, "/api/v2/calls?limit=2", tokAll, "")
	other := a.do(t, http.MethodGet, "/api/v2/calls?limit=1", tokAll, "")
	sameBut := strings.Replace(first.Body.String(), first.Header().Get("X-Request-Id"), again.Header().Get("X-Request-Id"), 1)
	if sameBut != again.Body.String() {
		t.Fatalf("the same page twice:\n%s\n%s", first.Body, again.Body)
	}
	var calls []wire.Call
	if next := checkList(t, again, &calls); next == nil || len(calls) != 2 {
		t.Fatalf("kept page: %d calls, next %v", len(calls), next)
	}
	if next := checkList(t, other, &calls); next == nil || len(calls) != 1 {
		t.Fatalf("page of one: %d calls, next %v", len(calls), next)
	}
}

func TestListVersionUnreadableIsAnError(t *testing.T) {
	a := newTestAPI(t)
	a.versions.err = sipsim.Errorf(sipsim.EUNAVAILABLE, "database is locked")
	checkError(t, a.do(t, http.MethodGet, "/api/v2/phones", tokAll, ""), http.StatusServiceUnavailable, "/api/v2/phones")
	a.versions.err = errors.New("disk on fire")
	checkError(t, a.do(t, http.MethodGet, "/api/v2/calls", tokAll, ""), http.StatusInternalServerError, "/api/v2/calls")
}

// The kept path writes the envelope itself: it must be, byte for byte,
// what the encoder writes for the same data.
func TestRenderedListIsWhatWriteListSends(t *testing.T) {
	cfg := Config{Now: func() time.Time { return testNow }}
	data := []wire.Tag{{ID: 1, Name: "<b>&\"quoted\"</b>", Color: "#ff8800"}}
	for _, tt := range []struct {
		name      string
		paginated bool
		next      string
		want      func(w http.ResponseWriter, r *http.Request)
	}{
		{"data", false, "", func(w http.ResponseWriter, r *http.Request) { writeData(w, r, cfg, http.StatusOK, data) }},
		{"last page", true, "", func(w http.ResponseWriter, r *http.Request) { writeList(w, r, cfg, data, "") }},
		{"page with a next", true, "c_<&>", func(w http.ResponseWriter, r *http.Request) { writeList(w, r, cfg, data, "c_<&>") }},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodGet, "/api/v2/x", nil)
			r = r.WithContext(withRequestID(r.Context(), "req_<odd>\u2028"))
			want := httptest.NewRecorder()
			tt.want(want, r)
			got := httptest.NewRecorder()
			encoded := mustMarshal(t, data)
			writeRendered(got, r, cfg, &renderedList{data: encoded, next: tt.next}, tt.paginated)
			if got.Body.String() != want.Body.String() {
				t.Fatalf("rendered:\n%s\nencoder:\n%s", got.Body, want.Body)
			}
			for _, h := range []string{"Content-Type", "Content-Length", "Cache-Control"} {
				if got.Header().Get(h) != want.Header().Get(h) {
					t.Errorf("%s = %q, encoder's %q", h, got.Header().Get(h), want.Header().Get(h))
				}
			}
		})
	}
}

func TestRenderedListsDropLeastRecentlyServed(t *testing.T) {
	kept := func(version int64, query string) *renderedList {
		return &renderedList{key: listKey{account: 1, list: sipsim.ListCalls, query: query}, version: version,
			data: []byte(strings.Repeat("x", 871))} // 1,000 bytes with the overhead
	}
	c := newRenderedLists(8000) // eight of them
	for _, q := range "abcdefgh" {
		c.put(kept(1, string(q)))
	}
	if _, ok := c.get(listKey{1, sipsim.ListCalls, "a"}, 1, testNow); !ok {
		t.Fatal("a not kept")
	}
	c.put(kept(1, "i")) // over the bound: b, served least recently, goes
	for q, want := range map[string]bool{"a": true, "b": false, "c": true, "i": true} {
		if _, ok := c.get(listKey{1, sipsim.ListCalls, q}, 1, testNow); ok != want {
			t.Errorf("%s kept = %t, want %t", q, ok, want)
		}
	}
	if c.bytes > c.maxBytes {
		t.Errorf("%d bytes kept, bound %d", c.bytes, c.maxBytes)
	}

	// A slower request's older rendering does not replace a newer one.
	c.put(kept(3, "a"))
	c.put(kept(2, "a"))
	if _, ok := c.get(listKey{1, sipsim.ListCalls, "a"}, 3, testNow); !ok {
		t.Error("version 3 replaced by version 2")
	}
	// Nor is a rendering too big for its share kept at all.
	big := kept(1, "big")
	big.data = make([]byte, 1000) // over 8,000 / 8 with the overhead
	c.put(big)
	if _, ok := c.get(big.key, 1, testNow); ok {
		t.Error("a rendering over an eighth of the bound was kept")
	}
}
