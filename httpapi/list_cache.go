package httpapi

import (
	lru "container/list"
	"encoding/json"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/sipsim/sipsim"
)

// The lists integrations poll (who is online, today's calls) are kept
// rendered: the data of a response, encoded, is served again for as long
// as the store's version of that list stands (sipsim.ListVersionStore)
// and nothing in it expires. Reading 100 phones and encoding 80 KB of JSON
// for every poll held GET /api/v2/phones to a tenth of a bare handler's
// throughput; a kept rendering costs the token read the request needs
// anyway, which reads the version in the same statement. Nothing is ever
// served stale: every request reads the version, in the store every node
// and the command line write to.

// maxRenderedBytes bounds the memory of the kept renderings of all
// accounts together; the least recently served go first. A rendering
// larger than an eighth of it is served but not kept.
const maxRenderedBytes = 64 << 20

// listKey names one rendering: an account's list for one query string
// (the filters and the page; queries that differ only in the order of
// their parameters are kept apart, which costs memory, never truth).
type listKey struct {
	account int64
	list    sipsim.List
	query   string
}

// renderedList is the data of one list response, encoded as JSON.
type renderedList struct {
	key     listKey
	version int64     // the list version it was rendered at
	until   time.Time // when something in it expires; zero for never
	data    []byte    // the "data" array
	next    string    // next_cursor; "" on the last page
}

// size is what r costs the cache, roughly.
func (r *renderedList) size() int {
	return len(r.data) + len(r.next) + len(r.key.query) + 128
}

// renderedLists is the cache of renderings, least recently served last.
type renderedLists struct {
	mu       sync.Mutex
	byKey    map[listKey]*lru.Element // of *renderedList
	order    *lru.List
	bytes    int
	maxBytes int
}

func newRenderedLists(maxBytes int) *renderedLists {
	return &renderedLists{byKey: map[listKey]*lru.Element{}, order: lru.New(), maxBytes: maxBytes}
}

// get returns the rendering of key if it was made at version and nothing
// in it has expired at now.
func (c *renderedLists) get(key listKey, version int64, now time.Time) (*renderedList, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.byKey[key]
	if !ok {
		return nil, false
	}
	r := e.Value.(*renderedList)
	if r.version != version || (!r.until.IsZero() && !now.Before(r.until)) {
		return nil, false
	}
	c.order.MoveToFront(e)
	return r, true
}

// put keeps r in place of any older rendering of its key. A rendering of
// an older version than the one kept (a slow request finishing after a
// faster one) is dropped.
func (c *renderedLists) put(r *renderedList) {
	if r.size() > c.maxBytes/8 {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.byKey[r.key]; ok {
		old := e.Value.(*renderedList)
		if old.version > r.version {
			return
		}
		c.bytes -= old.size()
		e.Value = r
		c.order.MoveToFront(e)
	} else {
		c.byKey[r.key] = c.order.PushFront(r)
	}
	c.bytes += r.size()
	for c.bytes > c.maxBytes {
		last := c.order.Back()
		gone := last.Value.(*renderedList)
		c.order.Remove(last)
		delete(c.byKey, gone.key)
		c.bytes -= gone.size()
	}
}

// keptLists names the routes whose lists are kept, by method and pattern:
// requireScope reads their version with the token.
var keptLists = map[string]sipsim.List{
	"GET /api/v2/phones": sipsim.ListPhones,
	"GET /api/v2/calls":  sipsim.ListCalls,
}

// listVersionKey is the context key of the version requireScope read.
type listVersionKey struct{}

// listBuild reads and renders a list: its data, when something in it
// expires (zero for never), and the next page's cursor ("" for none).
type listBuild func() (data any, until time.Time, next string, err error)

// serveList answers a list request from the kept rendering of key if the
// list has not changed since it was made, else builds, keeps and answers
// it. The version, read with the token, comes before the list: a write
// landing in between leaves a rendering newer than its version, which
// the next request replaces, never one older. paginated lists have
// next_cursor in their envelope.
func serveList(w http.ResponseWriter, r *http.Request, cfg Config, key listKey, paginated bool, build listBuild) {
	version, ok := r.Context().Value(listVersionKey{}).(int64)
	if !ok {
		// keptLists must name the route: a programming error.
		writeError(w, r, cfg, fmt.Errorf("route of %s lists no version", key.list))
		return
	}
	if kept, ok := cfg.lists.get(key, version, cfg.Now()); ok {
		writeRendered(w, r, cfg, kept, paginated)
		return
	}
	data, until, next, err := build()
	if err != nil {
		writeError(w, r, cfg, err)
		return
	}
	encoded, err := json.Marshal(data)
	if err != nil {
		writeError(w, r, cfg, fmt.Errorf("encode %s: %w", key.list, err))
		return
	}
	rendered := &renderedList{key: key, version: version, until: until, data: encoded, next: next}
	cfg.lists.put(rendered)
	writeRendered(w, r, cfg, rendered, paginated)
}
