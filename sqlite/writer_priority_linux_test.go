package sqlite

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sipsim/sipsim"
	"github.com/sipsim/sipsim/internal/proctest"
)

// WriterNice runs the writer on one thread of lower priority, which
// ends with the store: no other goroutine ever runs at that priority.
func TestWriterNiceLowersOneThreadForTheStoresLife(t *testing.T) {
	const steps = 7 // no other test lowers a thread by 7
	lowered := func() int {
		t.Helper()
		l, err := proctest.LoweredThreads(os.Getpid())
		if err != nil {
			t.Fatal(err)
		}
		return l[steps]
	}
	db, err := Open(t.Context(), filepath.Join(t.TempDir(), "nice.db"), fixedClock(), WriterNice(steps))
	if err != nil {
		t.Fatal(err)
	}
	if n := lowered(); n != 1 {
		t.Errorf("threads lowered by %d steps of nice with the store open: %d, want 1", steps, n)
	}
	p := &sipsim.Phone{AccountID: sipsim.DefaultAccountID, Name: "Desk", Status: sipsim.PhoneActive,
		InternalNumber: 101, Number: "+33612345678", Country: "FR"}
	if err := db.CreatePhone(t.Context(), p); err != nil {
		t.Fatalf("a write through the lowered writer: %v", err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	// The thread ends just after the writer goroutine: wait for it.
	for deadline := time.Now().Add(10 * time.Second); lowered() != 0; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("a thread lowered by %d steps of nice outlived the store", steps)
		}
	}
}

func TestOpenFailsIfTheWriterCannotBeLowered(t *testing.T) {
	_, err := Open(t.Context(), filepath.Join(t.TempDir(), "nice.db"), fixedClock(), WriterNice(20))
	if err == nil || !strings.Contains(err.Error(), "thread priority") {
		t.Fatalf("Open with WriterNice(20) = %v, want a thread priority error", err)
	}
}
