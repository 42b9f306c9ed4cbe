package postgres

import (
	"io"
	"os"
	"testing"

	"github.com/sipsim/sipsim"
	"github.com/sipsim/sipsim/storetest"
)

func TestRecordingsContract(t *testing.T) {
	storetest.RunRecordings(t, func(t *testing.T) sipsim.RecordingStore {
		return openFresh(t, fixedClock()).Recordings(t.TempDir())
	})
}

// A recording waits in a temporary file while the call lasts and leaves
// nothing behind once stored, nor when storing it fails.
func TestRecordingLeavesNoTemporaryFile(t *testing.T) {
	_, url := newSchema(t)
	r := startRelay(t, "127.0.0.1:0", serverAddr(t))
	db := openTest(t, withHost(t, url, r.addr()), fixedClock())
	tmp := t.TempDir()
	recs := db.Recordings(tmp)

	w, err := recs.Create(t.Context(), sipsim.DefaultAccountID, "call_tmp")
	if err != nil {
		t.Fatal(err)
	}
	io.WriteString(w, "RIFF")
	if entries, _ := os.ReadDir(tmp); len(entries) != 1 {
		t.Fatalf("%d files in the temporary directory while recording, want 1", len(entries))
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if entries, _ := os.ReadDir(tmp); len(entries) != 0 {
		t.Fatalf("%d files left in the temporary directory after Close", len(entries))
	}

	w, err = recs.Create(t.Context(), sipsim.DefaultAccountID, "call_lost")
	if err != nil {
		t.Fatal(err)
	}
	io.WriteString(w, "RIFF")
	r.cut()
	wantUnavailable(t, "storing a recording while the database is unreachable", w.Close(), "cannot be reached")
	if entries, _ := os.ReadDir(tmp); len(entries) != 0 {
		t.Fatalf("%d files left in the temporary directory after a failed Close", len(entries))
	}
}
