package recordings

import (
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/sipsim/sipsim"
	"github.com/sipsim/sipsim/storetest"
)

func isNotFound(err error) bool {
	var e *sipsim.Error
	return errors.As(err, &e) && e.Code == sipsim.ENOTFOUND
}

func TestFSStoresOpensAndDeletesARecording(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s := NewFS(dir)

	w, err := s.Create(ctx, 7, "call_abc")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Open(ctx, 7, "call_abc"); !isNotFound(err) {
		t.Fatalf("a recording being written is visible: %v", err)
	}
	io.WriteString(w, "RIFF----")
	// The recorder completes the header by seeking back.
	ws, ok := w.(io.WriteSeeker)
	if !ok {
		t.Fatal("the writer cannot seek")
	}
	ws.Seek(4, io.SeekStart)
	io.WriteString(ws, "1234")
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "7", "call_abc.wav")); err != nil {
		t.Fatalf("not under <dir>/<account>/<call>.wav: %v", err)
	}

	f, err := s.Open(ctx, 7, "call_abc")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(f)
	f.Close()
	if string(b) != "RIFF1234" || f.Size() != 8 || f.ModTime().IsZero() {
		t.Fatalf("read %q, size %d, modtime %v", b, f.Size(), f.ModTime())
	}
	if _, err := s.Open(ctx, 8, "call_abc"); !isNotFound(err) {
		t.Fatalf("another account opens the recording: %v", err)
	}
	if err := s.Delete(ctx, 7, "call_abc"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Open(ctx, 7, "call_abc"); !isNotFound(err) {
		t.Fatalf("open after delete: %v", err)
	}
	if err := s.Delete(ctx, 7, "call_abc"); !isNotFound(err) {
		t.Fatalf("second delete: %v", err)
	}
}

func TestFSRefusesIDsThatLeaveItsDirectory(t *testing.T) {
	s := NewFS(t.TempDir())
	for _, id := range []string{"", "..", "../x", `a\b`} {
		if _, err := s.Open(context.Background(), 1, id); !isNotFound(err) {
			t.Errorf("Open(%q): %v, want not found", id, err)
		}
	}
}

func TestFSContract(t *testing.T) {
	storetest.RunRecordings(t, func(t *testing.T) sipsim.RecordingStore { return NewFS(t.TempDir()) })
}
