package client

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"strconv"
	"strings"
	"time"
)

// maxSSELine bounds one line of an event stream; an event is one call
// snapshot of a few kilobytes.
const maxSSELine = 1 << 20

// sseMessage is one event of a text/event-stream as the HTML standard
// defines it: the fields of the lines before a blank line.
type sseMessage struct {
	ID    string // the last id field seen so far in the stream
	Event string // "" when the event had no event field
	Data  string // data lines joined with "\n"
}

// sseReader parses an event stream. Lines end with LF, CR or CRLF;
// comment lines (":" first) are skipped; an event cut off by the end of
// the stream is dropped, as browsers do.
type sseReader struct {
	r      *bufio.Reader
	skipLF bool // the last line ended with CR: a LF next belongs to it
	idBuf  string
	// lastID is the id in force after the last blank line, even one that
	// ended no event: a server may send "id: N" alone to say where a
	// reconnection should resume.
	lastID string
	// retry is the reconnection delay the server asked for, 0 if none.
	retry time.Duration
	// onLine is called for every line read, comments included, so that
	// a silent connection can be told from a live one.
	onLine func()
}

func newSSEReader(r io.Reader, onLine func()) *sseReader {
	if onLine == nil {
		onLine = func() {}
	}
	return &sseReader{r: bufio.NewReader(r), onLine: onLine}
}

var errLineTooLong = errors.New("event stream line too long")

// readLine returns one line without its ending. A last line without an
// ending is returned with io.EOF.
func (s *sseReader) readLine() (string, error) {
	var line []byte
	for {
		b, err := s.r.ReadByte()
		if err != nil {
			if err == io.EOF && len(line) > 0 {
				return string(line), io.ErrUnexpectedEOF
			}
			return string(line), err
		}
		if s.skipLF {
			s.skipLF = false
			if b == '\n' {
				continue
			}
		}
		switch b {
		case '\n':
			return string(line), nil
		case '\r':
			s.skipLF = true
			return string(line), nil
		}
		if len(line) >= maxSSELine {
			return "", errLineTooLong
		}
		line = append(line, b)
	}
}

// next returns the next event. It returns io.EOF when the stream ends
// cleanly between events, and another error when it breaks.
func (s *sseReader) next() (sseMessage, error) {
	var event string
	var data bytes.Buffer
	hasData := false
	for {
		line, err := s.readLine()
		if err != nil {
			if err == io.ErrUnexpectedEOF {
				err = io.EOF // an unfinished event is dropped
			}
			return sseMessage{}, err
		}
		s.onLine()
		if line == "" {
			s.lastID = s.idBuf
			if !hasData {
				event = ""
				continue
			}
			return sseMessage{ID: s.lastID, Event: event, Data: strings.TrimSuffix(data.String(), "\n")}, nil
		}
		if line[0] == ':' {
			continue
		}
		field, value, found := strings.Cut(line, ":")
		if found {
			value = strings.TrimPrefix(value, " ")
		}
		switch field {
		case "event":
			event = value
		case "data":
			data.WriteString(value)
			data.WriteByte('\n')
			hasData = true
		case "id":
			if !strings.ContainsRune(value, 0) {
				s.idBuf = value
			}
		case "retry":
			if ms, err := strconv.ParseUint(value, 10, 32); err == nil {
				s.retry = time.Duration(ms) * time.Millisecond
			}
		}
	}
}
