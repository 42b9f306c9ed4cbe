package e2e

import (
	"database/sql"
	"fmt"
	"net/http"
	"path/filepath"
	"testing"
	"time"

	_ "modernc.org/sqlite" // the test plays another process opening the server's database
)

// Another process holds the database's write lock past the server's busy
// timeout (10 s), as a stuck maintenance script or backup would: writes
// answer 503 in the error envelope instead of a 500, reads go on (WAL),
// and once the lock is released the next write succeeds without a
// restart; nothing stored before is lost.
//
// Disk full is the same answer from the same code path; it is simulated
// with max_page_count in sqlite/fault_test.go, as only the server's own
// connection could be capped that way.
func TestDatabaseLockedAnswers503AndRecovers(t *testing.T) {
	t.Parallel()
	srv := startServer(t, serverConfig{})
	api := newAPIClient(t, srv, srv.createToken(allScopes))
	api.http.Timeout = 60 * time.Second // a write waits out the busy timeout first
	var kept tagView
	api.must(http.StatusCreated, http.MethodPost, "/api/v2/tags", map[string]string{"name": "kept"}, &kept)

	db, err := sql.Open("sqlite", filepath.Join(srv.DataDir, "sipsim.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	lock, err := db.Conn(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	defer lock.Close()
	if _, err := lock.ExecContext(t.Context(), "BEGIN IMMEDIATE"); err != nil {
		t.Fatal(err)
	}

	code, env := api.do(http.MethodPost, "/api/v2/tags", map[string]string{"name": "while-locked"})
	assertErrorEnvelope(t, code, env, http.StatusServiceUnavailable, "/api/v2/tags",
		"The database is locked by another process: the change was not saved; retry shortly")
	var got tagView
	api.must(http.StatusOK, http.MethodGet, fmt.Sprintf("/api/v2/tags/%d", kept.ID), nil, &got)
	if got.Name != "kept" {
		t.Errorf("tag read while the database is locked: %+v", got)
	}

	if _, err := lock.ExecContext(t.Context(), "ROLLBACK"); err != nil {
		t.Fatal(err)
	}
	api.must(http.StatusCreated, http.MethodPost, "/api/v2/tags", map[string]string{"name": "while-locked"}, nil)
	var tags []tagView
	api.must(http.StatusOK, http.MethodGet, "/api/v2/tags", nil, &tags)
	if len(tags) != 2 || tags[0].Name != "kept" || tags[1].Name != "while-locked" {
		t.Errorf("tags after the lock: %+v, want kept and while-locked", tags)
	}
}
