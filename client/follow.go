package client

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"iter"
	"mime"
	"net/http"
	"strconv"
	"time"
)

const eventCallEnded = "call.ended"

// FollowCall yields a call's events as they happen (scope calls.read),
// from Server-Sent Events on /api/v2/calls/{id}/events: call.created,
// call.ringing_agent, ... and last call.ended, whose snapshot is the
// final call; the sequence ends after it. lastEventID resumes after an
// event already seen (0: from the call's first event), so a program that
// restarts loses nothing.
//
// A dropped connection is reopened with Last-Event-ID after a short
// backoff, without gaps or duplicates. An error is yielded once and ends
// the sequence: IsNotFound for an unknown call, the context's error when
// ctx ends first.
func (c *Client) FollowCall(ctx context.Context, id string, lastEventID int64) iter.Seq2[*Event, error] {
	return c.follow(ctx, idPath(callsPath, id)+"/events", lastEventID, id)
}

// FollowEvents yields every event of the account (scope calls.read), from
// /api/v2/events: events after lastEventID, or only new ones when it is
// 0. It runs until ctx ends, reconnecting as FollowCall does, and then
// yields the context's error.
func (c *Client) FollowEvents(ctx context.Context, lastEventID int64) iter.Seq2[*Event, error] {
	return c.follow(ctx, "/api/v2/events", lastEventID, "")
}

// follow runs one event stream; callID is set for a call's stream, which
// ends with call.ended.
func (c *Client) follow(ctx context.Context, path string, lastID int64, callID string) iter.Seq2[*Event, error] {
	return func(yield func(*Event, error) bool) {
		pace := c.reconnect
		failures := 0
		if callID != "" && lastID > 0 && c.endedBefore(ctx, callID, lastID) {
			return // resuming after call.ended: nothing will ever come
		}
		for {
			s, err := c.openStream(ctx, path, lastID)
			if err == nil {
				var n int
				n, lastID, err = s.forward(lastID, callID, yield)
				if id, perr := strconv.ParseInt(s.reader.lastID, 10, 64); perr == nil && id > lastID {
					lastID = id // a position the server gave without an event
				}
				if s.reader.retry > 0 {
					pace.Initial = s.reader.retry
				}
				if n > 0 {
					failures = 0
				}
				if err == nil {
					return // call.ended seen, or the consumer stopped
				}
				if n == 0 && callID != "" && ctx.Err() == nil && c.endedBefore(ctx, callID, lastID) {
					return
				}
			}
			if ctx.Err() != nil {
				yield(nil, ctx.Err())
				return
			}
			wait, retry := retryDelay(err, pace, failures+1)
			if !retry {
				yield(nil, err)
				return
			}
			failures++
			if err := c.sleep(ctx, wait); err != nil {
				yield(nil, err)
				return
			}
		}
	}
}

// endedBefore reports whether the call is known to have ended with an
// event at or before lastID, so that its stream has nothing left to send.
func (c *Client) endedBefore(ctx context.Context, id string, lastID int64) bool {
	call, err := c.GetCall(ctx, id)
	if err != nil || !call.Status.Final() {
		return false
	}
	for _, ev := range call.Events {
		if ev.Type == eventCallEnded {
			return ev.ID <= lastID
		}
	}
	return false
}

// stream is one open event stream connection.
type stream struct {
	body   io.ReadCloser
	reader *sseReader
	stop   context.CancelFunc
	idle   *time.Timer
}

// openStream connects to path, resuming after lastID. An answer other
// than a 200 event stream is an *Error.
func (c *Client) openStream(ctx context.Context, path string, lastID int64) (*stream, error) {
	connCtx, stop := context.WithCancel(ctx)
	r := request{method: http.MethodGet, path: path, header: http.Header{
		"Accept":        {"text/event-stream"},
		"Cache-Control": {"no-cache"},
	}}
	if lastID > 0 {
		r.header.Set("Last-Event-ID", strconv.FormatInt(lastID, 10))
	}
	req, err := c.newHTTPRequest(connCtx, r)
	if err != nil {
		stop()
		return nil, permanent{err}
	}
	resp, err := c.http.Do(req)
	if err != nil {
		stop()
		return nil, fmt.Errorf("sipsim: GET %s: %w", path, err)
	}
	if resp.StatusCode != http.StatusOK {
		raw, _ := io.ReadAll(io.LimitReader(resp.Body, maxResponseBytes))
		resp.Body.Close()
		stop()
		return nil, decodeError(http.MethodGet, path, resp, raw)
	}
	if mt, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type")); mt != "text/event-stream" {
		resp.Body.Close()
		stop()
		return nil, permanent{fmt.Errorf("sipsim: GET %s: answer is %q, not an event stream", path, resp.Header.Get("Content-Type"))}
	}
	// A connection silent for longer than the server's keep-alive period
	// is dead even if no error says so: cancelling it makes the read fail
	// and the stream reconnect.
	idle := time.AfterFunc(c.streamIdle, stop)
	s := &stream{body: resp.Body, stop: stop, idle: idle}
	s.reader = newSSEReader(resp.Body, func() { idle.Reset(c.streamIdle) })
	return s, nil
}

func (s *stream) close() {
	s.idle.Stop()
	s.stop()
	s.body.Close()
}

// forward yields the stream's events after lastID until the stream ends.
// It returns how many it yielded and the last id. A nil error means the
// sequence is over: call.ended seen on a call's stream, or the consumer
// stopped; otherwise the stream broke (io.EOF included) and may be
// reopened.
func (s *stream) forward(lastID int64, callID string, yield func(*Event, error) bool) (int, int64, error) {
	defer s.close()
	n := 0
	for {
		msg, err := s.reader.next()
		if err != nil {
			return n, lastID, err
		}
		var ev Event
		if err := json.Unmarshal([]byte(msg.Data), &ev); err != nil {
			return n, lastID, permanent{fmt.Errorf("sipsim: event %s is not an event object: %w", msg.ID, err)}
		}
		if ev.ID <= lastID {
			continue // already yielded before a reconnection
		}
		lastID = ev.ID
		n++
		if !yield(&ev, nil) {
			return n, lastID, nil
		}
		if callID != "" && ev.Type == eventCallEnded {
			return n, lastID, nil
		}
	}
}

// permanent marks an error that reconnecting cannot fix.
type permanent struct{ err error }

func (p permanent) Error() string { return p.err.Error() }
func (p permanent) Unwrap() error { return p.err }

// retryDelay says whether a stream that failed with err is worth
// reopening, and after how long: network errors, a stream cut short and
// the server's temporary answers (5xx, 429, 408) are; its refusals (401,
// 403, 404...) and malformed streams are not.
func retryDelay(err error, pace Backoff, failure int) (time.Duration, bool) {
	if _, ok := errors.AsType[permanent](err); ok {
		return 0, false
	}
	wait := pace.delay(failure)
	if e, ok := asError(err); ok {
		switch {
		case e.Status == http.StatusTooManyRequests, e.Status == http.StatusRequestTimeout, e.Status >= 500:
			if e.RetryAfter > wait {
				wait = e.RetryAfter
			}
		default:
			return 0, false
		}
	}
	return wait, true
}
