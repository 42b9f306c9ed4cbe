package httpapi

import (
	"fmt"
	"log/slog"
	"net/http"
	"runtime/debug"
	"time"
)

// serveRequest wraps every request: it assigns the request id (header and
// envelope), turns a panic into the 500 envelope, and logs one line per
// request.
func serveRequest(cfg Config, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := cfg.NewID()
		w.Header().Set("X-Request-Id", id)
		r = r.WithContext(withRequestID(r.Context(), id))
		sw := &statusWriter{ResponseWriter: w, rc: http.NewResponseController(w), idle: cfg.WriteIdleTimeout}
		start := cfg.Now()
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v) // the handler asked net/http to drop the connection
				}
				err := fmt.Errorf("panic: %v\n%s", v, debug.Stack())
				if sw.status == 0 {
					writeError(sw, r, cfg, err)
				} else {
					cfg.Logger.ErrorContext(r.Context(), "panic after response started",
						"request_id", id, "err", err)
				}
			}
			level := slog.LevelInfo
			if sw.status >= 500 {
				level = slog.LevelWarn
			}
			took := cfg.Now().Sub(start)
			cfg.Logger.Log(r.Context(), level, "http request",
				"request_id", id, "method", r.Method, "path", r.URL.Path,
				"status", sw.status, "duration", took)
			if cfg.ObserveRequest != nil {
				method, route := routeOf(r)
				cfg.ObserveRequest(method, route, sw.sentStatus(), took)
			}
		}()
		next.ServeHTTP(sw, r)
	})
}

// statusWriter remembers the status sent, to know whether a panic can
// still be answered and what to log. It also bounds each write: a client
// that takes none of the response for idle (a slow-read attack, or one
// that went away without closing) is dropped instead of holding a
// goroutine and a connection for ever. The bound is per write rather than
// the server's WriteTimeout, which would cut event streams and long
// downloads that a client reads steadily.
type statusWriter struct {
	http.ResponseWriter
	status int
	rc     *http.ResponseController
	idle   time.Duration
}

// sentStatus is the status the client got: a handler that wrote nothing
// sent 200.
func (s *statusWriter) sentStatus() int {
	if s.status == 0 {
		return http.StatusOK
	}
	return s.status
}

func (s *statusWriter) WriteHeader(status int) {
	if s.status == 0 && status >= 200 {
		s.status = status
	}
	s.ResponseWriter.WriteHeader(status)
}

func (s *statusWriter) Write(b []byte) (int, error) {
	if s.status == 0 {
		s.status = http.StatusOK
	}
	// Wall-clock time, as the connection's deadline is. A writer without
	// a connection (a test recorder) has nothing to bound.
	_ = s.rc.SetWriteDeadline(time.Now().Add(s.idle))
	return s.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the connection's writer.
func (s *statusWriter) Unwrap() http.ResponseWriter { return s.ResponseWriter }
