package storetest

import (
	"bytes"
	"io"
	"testing"

	"github.com/sipsim/sipsim"
)

// RunRecordings is the contract of a sipsim.RecordingStore, run against
// stores made by open: the file store and the PostgreSQL one. A recorder
// writes a WAV file front to back, then seeks back to complete its header;
// the API serves ranges of it (http.ServeContent seeks and reads).
func RunRecordings(t *testing.T, open func(t *testing.T) sipsim.RecordingStore) {
	t.Run("WriteSeekCloseThenRead", func(t *testing.T) { testRecordingRoundTrip(t, open(t)) })
	t.Run("InvisibleUntilClosedAndReplaced", func(t *testing.T) { testRecordingVisibility(t, open(t)) })
	t.Run("AccountsAndDelete", func(t *testing.T) { testRecordingAccounts(t, open(t)) })
}

// recordingBody is n bytes that differ at every offset of a small period,
// so a read from the wrong place shows.
func recordingBody(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i*7 + i/251)
	}
	return b
}

func writeRecording(t *testing.T, s sipsim.RecordingStore, accountID int64, callID string, body []byte) {
	t.Helper()
	w, err := s.Create(t.Context(), accountID, callID)
	if err != nil {
		t.Fatal(err)
	}
	ws, ok := w.(io.WriteSeeker)
	if !ok {
		t.Fatalf("the writer of %T cannot seek: a recorder completes the WAV header last", s)
	}
	header := append([]byte(nil), body[:min(len(body), 44)]...)
	blank := make([]byte, len(header))
	if _, err := ws.Write(blank); err != nil {
		t.Fatal(err)
	}
	for rest := body[len(header):]; len(rest) > 0; {
		n := min(len(rest), 3000) // a recorder writes packet by packet
		if _, err := ws.Write(rest[:n]); err != nil {
			t.Fatal(err)
		}
		rest = rest[n:]
	}
	if _, err := ws.Seek(0, io.SeekStart); err != nil {
		t.Fatal(err)
	}
	if _, err := ws.Write(header); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
}

func testRecordingRoundTrip(t *testing.T, s sipsim.RecordingStore) {
	body := recordingBody(2_500_000) // longer than any chunk a store may cut it into
	writeRecording(t, s, sipsim.DefaultAccountID, "call_round", body)

	f, err := s.Open(t.Context(), sipsim.DefaultAccountID, "call_round")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if f.Size() != int64(len(body)) || f.ModTime().IsZero() {
		t.Fatalf("size %d, mod time %v; want %d and a time", f.Size(), f.ModTime(), len(body))
	}
	all, err := io.ReadAll(f)
	if err != nil || !bytes.Equal(all, body) {
		t.Fatalf("read back %d bytes (%v), not what was written", len(all), err)
	}
	// Ranges, as http.ServeContent reads them: across chunk borders, at
	// the end, and from the end.
	for _, r := range []struct{ off, n int64 }{{0, 44}, {1_048_570, 20}, {1_899_999, 600_001}, {int64(len(body)) - 1, 1}} {
		if _, err := f.Seek(r.off, io.SeekStart); err != nil {
			t.Fatal(err)
		}
		got := make([]byte, r.n)
		if _, err := io.ReadFull(f, got); err != nil {
			t.Fatalf("read %d bytes at %d: %v", r.n, r.off, err)
		}
		if !bytes.Equal(got, body[r.off:r.off+r.n]) {
			t.Fatalf("%d bytes at %d differ from what was written", r.n, r.off)
		}
	}
	if end, err := f.Seek(0, io.SeekEnd); err != nil || end != int64(len(body)) {
		t.Fatalf("seek to the end = %d, %v", end, err)
	}
	if n, err := f.Read(make([]byte, 10)); n != 0 || err != io.EOF {
		t.Fatalf("read at the end = %d, %v; want 0, EOF", n, err)
	}
	if _, err := f.Seek(-1, io.SeekStart); err == nil {
		t.Fatal("seek before the start accepted")
	}
}

func testRecordingVisibility(t *testing.T, s sipsim.RecordingStore) {
	ctx := t.Context()
	w, err := s.Create(ctx, sipsim.DefaultAccountID, "call_vis")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write([]byte("half a recording")); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Open(ctx, sipsim.DefaultAccountID, "call_vis"); sipsim.ErrorCode(err) != sipsim.ENOTFOUND {
		t.Fatalf("a recording being written is visible: %v", err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	writeRecording(t, s, sipsim.DefaultAccountID, "call_vis", recordingBody(100))
	f, err := s.Open(ctx, sipsim.DefaultAccountID, "call_vis")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if got, _ := io.ReadAll(f); !bytes.Equal(got, recordingBody(100)) {
		t.Fatalf("after a second Create the recording is %q, want the second one", got)
	}
}

func testRecordingAccounts(t *testing.T, s sipsim.RecordingStore) {
	ctx := t.Context()
	writeRecording(t, s, sipsim.DefaultAccountID, "call_acc", recordingBody(500))
	if _, err := s.Open(ctx, OtherAccountID, "call_acc"); sipsim.ErrorCode(err) != sipsim.ENOTFOUND {
		t.Fatalf("another account opens the recording: %v", err)
	}
	if err := s.Delete(ctx, OtherAccountID, "call_acc"); sipsim.ErrorCode(err) != sipsim.ENOTFOUND {
		t.Fatalf("another account deletes the recording: %v", err)
	}
	if err := s.Delete(ctx, sipsim.DefaultAccountID, "call_acc"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Open(ctx, sipsim.DefaultAccountID, "call_acc"); sipsim.ErrorCode(err) != sipsim.ENOTFOUND {
		t.Fatalf("open after delete: %v", err)
	}
	if err := s.Delete(ctx, sipsim.DefaultAccountID, "call_acc"); sipsim.ErrorCode(err) != sipsim.ENOTFOUND {
		t.Fatalf("second delete: %v", err)
	}
	for _, id := range []string{"", "..", "../x", `a\b`} {
		if _, err := s.Open(ctx, sipsim.DefaultAccountID, id); sipsim.ErrorCode(err) != sipsim.ENOTFOUND {
			t.Errorf("Open(%q): %v, want not found", id, err)
		}
	}
}
