package httpapi

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/sipsim/sipsim/wire"
)

// streamWriteTimeout bounds each write to an event stream: a client that
// cannot take a few hundred bytes in that long is gone. The deadline is
// moved before every write, so the server's WriteTimeout (which would cut
// any stream after a fixed time) does not apply to streams.
const streamWriteTimeout = 30 * time.Second

// eventStream writes Server-Sent Events, flushing each one so that it
// reaches the client at once.
type eventStream struct {
	w  http.ResponseWriter
	rc *http.ResponseController
}

// startStream sends the headers of an event stream.
func startStream(w http.ResponseWriter) (*eventStream, error) {
	s := &eventStream{w: w, rc: http.NewResponseController(w)}
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-cache")
	h.Set("X-Accel-Buffering", "no") // nginx: do not buffer the stream
	if err := s.extend(); err != nil {
		return nil, err
	}
	w.WriteHeader(http.StatusOK)
	return s, s.rc.Flush()
}

// event sends one event; its data is the same JSON as a webhook's body.
func (s *eventStream) event(ev wire.Event) error {
	data, err := json.Marshal(ev)
	if err != nil {
		return err
	}
	return s.write(fmt.Appendf(nil, "id: %d\nevent: %s\ndata: %s\n\n", ev.ID, ev.Type, data))
}

// position sends an id with no event: an EventSource (or the SDK) takes
// it as its Last-Event-ID, so a reconnect made before any event arrives
// resumes from here instead of missing what happened in between.
func (s *eventStream) position(id int64) error {
	return s.write(fmt.Appendf(nil, "id: %d\n\n", id))
}

// comment sends a comment line, which clients ignore: it keeps proxies
// from closing an idle stream and detects a client that went away.
func (s *eventStream) comment(text string) error {
	return s.write([]byte(": " + text + "\n\n"))
}

func (s *eventStream) write(b []byte) error {
	if err := s.extend(); err != nil {
		return err
	}
	if _, err := s.w.Write(b); err != nil {
		return err
	}
	return s.rc.Flush()
}

// extend moves the write deadline; wall-clock time, not Config.Now, as
// the connection's deadline is.
func (s *eventStream) extend() error {
	err := s.rc.SetWriteDeadline(time.Now().Add(streamWriteTimeout))
	if errors.Is(err, http.ErrNotSupported) {
		return nil
	}
	return err
}
