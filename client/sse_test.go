package client

import (
	"errors"
	"io"
	"slices"
	"strings"
	"testing"
	"time"
)

// readAll parses a whole stream.
func readAll(t *testing.T, stream string) ([]sseMessage, *sseReader) {
	t.Helper()
	r := newSSEReader(strings.NewReader(stream), nil)
	var out []sseMessage
	for {
		m, err := r.next()
		if err == io.EOF {
			return out, r
		}
		if err != nil {
			t.Fatalf("next: %v", err)
		}
		out = append(out, m)
	}
}

func TestSSEFraming(t *testing.T) {
	tests := []struct {
		name   string
		stream string
		want   []sseMessage
	}{
		{"LF", "id: 1\nevent: call.created\ndata: {\"id\":1}\n\n",
			[]sseMessage{{"1", "call.created", `{"id":1}`}}},
		{"CRLF", "id: 1\r\nevent: a\r\ndata: x\r\n\r\nid: 2\r\ndata: y\r\n\r\n",
			[]sseMessage{{"1", "a", "x"}, {"2", "", "y"}}},
		{"CR", "id: 1\revent: a\rdata: x\r\r",
			[]sseMessage{{"1", "a", "x"}}},
		{"comments and keep-alives are skipped", ": keep-alive\n\n: hello\nid: 3\n: between\ndata: x\n\n: keep-alive\n\n",
			[]sseMessage{{"3", "", "x"}}},
		{"data lines are joined", "data: a\ndata:b\ndata:  c\n\n",
			[]sseMessage{{"", "", "a\nb\n c"}}},
		{"an event without data is not dispatched", "event: a\nid: 4\n\ndata: x\n\n",
			[]sseMessage{{"4", "", "x"}}},
		{"the id carries over", "id: 5\ndata: x\n\ndata: y\n\n",
			[]sseMessage{{"5", "", "x"}, {"5", "", "y"}}},
		{"a field without colon", "data\n\n",
			[]sseMessage{{"", "", ""}}},
		{"unknown fields are ignored", "foo: bar\ndata: x\n\n",
			[]sseMessage{{"", "", "x"}}},
		{"an unfinished event is dropped", "data: x\n\ndata: cut",
			[]sseMessage{{"", "", "x"}}},
		{"an event without its blank line is dropped", "data: x\n\ndata: y\n",
			[]sseMessage{{"", "", "x"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, _ := readAll(t, tt.stream)
			if !slices.Equal(got, tt.want) {
				t.Fatalf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func TestSSERetryField(t *testing.T) {
	_, r := readAll(t, "retry: 2500\ndata: x\n\nretry: soon\n\n")
	if r.retry != 2500*time.Millisecond {
		t.Fatalf("retry = %v, want 2.5s (a non-number is ignored)", r.retry)
	}
}

func TestSSELineTooLong(t *testing.T) {
	r := newSSEReader(strings.NewReader("data: "+strings.Repeat("x", maxSSELine+1)+"\n\n"), nil)
	if _, err := r.next(); !errors.Is(err, errLineTooLong) {
		t.Fatalf("err = %v, want errLineTooLong", err)
	}
}

func TestSSECountsEveryLine(t *testing.T) {
	lines := 0
	r := newSSEReader(strings.NewReader(": keep-alive\n\n: keep-alive\n\n"), func() { lines++ })
	if _, err := r.next(); err != io.EOF || lines != 4 {
		t.Fatalf("err %v after %d lines, want EOF after 4", err, lines)
	}
}

func FuzzSSEReader(f *testing.F) {
	f.Add("id: 1\nevent: call.created\ndata: {}\n\n")
	f.Add("data: a\r\ndata: b\r\r\n: c\n\nretry: 10\n")
	f.Fuzz(func(t *testing.T, stream string) {
		r := newSSEReader(strings.NewReader(stream), nil)
		for i := 0; ; i++ {
			m, err := r.next()
			if err != nil {
				return
			}
			if i > len(stream) {
				t.Fatalf("more events than bytes")
			}
			if strings.ContainsRune(m.ID, 0) {
				t.Fatalf("id with NUL accepted: %q", m.ID)
			}
		}
	})
}
