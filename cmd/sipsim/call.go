package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/sipsim/sipsim/client"
)

// defaultAPIURL is where `sipsim serve` listens unless told otherwise.
const defaultAPIURL = "http://127.0.0.1:8080"

// errNotCompleted makes a followed call that did not complete exit 1; its
// summary line has already said how it ended.
var errNotCompleted = errors.New("call did not complete")

// runCall places a click-to-call through the API and, with --follow,
// prints its progress until it ends.
func runCall(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := newFlagSet("sipsim call", stderr)
	phone := fs.Int64("phone", 0, "id of the employee's phone, rung first (required)")
	to := fs.String("to", "", "number to call once the employee answers, E.164 (required)")
	follow := fs.Bool("follow", false, "print the call's progress until it ends; exit 0 only if it completed")
	asJSON := fs.Bool("json", false, "print JSON objects, one per line, instead of text")
	fs.Usage = func() {
		fmt.Fprint(stderr, "Usage: sipsim call --phone ID --to NUMBER [--follow] [--json]\n\n"+apiEnvHelp)
		fs.PrintDefaults()
	}
	if err := parseCommandFlags(fs, args); err != nil {
		return err
	}
	if *phone <= 0 || *to == "" {
		fmt.Fprintln(stderr, "sipsim call: --phone and --to are required")
		fs.Usage()
		return usageError{"missing --phone or --to"}
	}
	c, err := newAPIClient(getenv, stderr)
	if err != nil {
		return err
	}
	out := newPrinter(stdout, *asJSON)

	call, err := c.CreateCall(ctx, client.CreateCallParams{PhoneID: *phone, TargetNumber: *to})
	if err != nil {
		return apiFailure(stderr, getenv, err)
	}
	if !*follow {
		out.call(call)
		return out.err
	}
	out.placed(call)
	var last *client.Event
	for ev, err := range c.FollowCall(ctx, call.ID, 0) {
		if err != nil {
			fmt.Fprintf(stderr, "sipsim: stopped following %s\n", call.ID)
			return apiFailure(stderr, getenv, err)
		}
		out.event(ev)
		last = ev
	}
	if last == nil || last.Type != "call.ended" {
		fmt.Fprintf(stderr, "sipsim: the event stream of %s ended before the call did\n", call.ID)
		return errNotCompleted
	}
	out.summary(&last.Data.Call)
	if out.err != nil {
		return out.err
	}
	if last.Data.Call.Status != "completed" {
		return errNotCompleted
	}
	return nil
}

// apiEnvHelp tells how the API commands find the server.
const apiEnvHelp = `Environment:
  SIPSIM_URL    the API's address (default ` + defaultAPIURL + `)
  SIPSIM_TOKEN  an API token (sipsim token create --scopes calls.create,calls.read)

`

// parseCommandFlags parses the flags of an API command: no positional
// arguments, and every mistake is a usage error (exit 2).
func parseCommandFlags(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return usageError{err.Error()}
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(fs.Output(), "%s: unexpected argument %q\n", fs.Name(), fs.Arg(0))
		return usageError{fmt.Sprintf("unexpected argument %q", fs.Arg(0))}
	}
	return nil
}

// newAPIClient returns an SDK client for SIPSIM_URL with SIPSIM_TOKEN.
func newAPIClient(getenv func(string) string, stderr io.Writer) (*client.Client, error) {
	token := strings.TrimSpace(getenv("SIPSIM_TOKEN"))
	if token == "" {
		fmt.Fprint(stderr, "sipsim: SIPSIM_TOKEN is not set; create a token with\n"+
			"  sipsim token create --scopes calls.create,calls.read\n"+
			"and export SIPSIM_TOKEN=<the token> (and SIPSIM_URL if the API is not at "+defaultAPIURL+")\n")
		return nil, usageError{"SIPSIM_TOKEN is not set"}
	}
	return client.New(apiURL(getenv), token, client.WithUserAgent("sipsim-cli")), nil
}

func apiURL(getenv func(string) string) string {
	if u := strings.TrimSpace(getenv("SIPSIM_URL")); u != "" {
		return u
	}
	return defaultAPIURL
}

// apiFailure prints err as a person needs it: the API's messages, the
// call it is about and the request id; for a connection failure, where
// the command looked for the server.
func apiFailure(stderr io.Writer, getenv func(string) string, err error) error {
	e, ok := errors.AsType[*client.Error](err)
	if !ok {
		fmt.Fprintf(stderr, "sipsim: %v\n", err)
		if !errors.Is(err, context.Canceled) {
			fmt.Fprintf(stderr, "sipsim: is the API running at %s? (set SIPSIM_URL)\n", apiURL(getenv))
		}
		return err
	}
	details := []string{fmt.Sprintf("HTTP %d", e.Status)}
	if e.CallID != "" {
		details = append(details, "call "+e.CallID)
	}
	if e.RequestID != "" {
		details = append(details, "request "+e.RequestID)
	}
	fmt.Fprintf(stderr, "sipsim: %s (%s)\n", e.Message(), strings.Join(details, ", "))
	for _, m := range e.Messages[min(1, len(e.Messages)):] {
		fmt.Fprintf(stderr, "  %s\n", m)
	}
	return err
}

// printer writes calls and events as lines of text or of JSON. The first
// write error is kept and later writes are skipped.
type printer struct {
	w    io.Writer
	json bool
	err  error
}

func newPrinter(w io.Writer, asJSON bool) *printer { return &printer{w: w, json: asJSON} }

func (p *printer) printf(format string, args ...any) {
	if p.err == nil {
		_, p.err = fmt.Fprintf(p.w, format, args...)
	}
}

func (p *printer) jsonLine(v any) {
	b, err := json.Marshal(v)
	if err != nil {
		p.err = err
		return
	}
	p.printf("%s\n", b)
}

// call prints a call just placed (without --follow).
func (p *printer) call(c *client.Call) {
	if p.json {
		p.jsonLine(c)
		return
	}
	p.printf("%s %s: ringing phone %d, then %s\n", c.ID, c.Status, c.PhoneID, c.TargetNumber)
}

// placed introduces the events of a followed call.
func (p *printer) placed(c *client.Call) {
	if !p.json {
		p.printf("%s placed: ringing phone %d, then %s\n", c.ID, c.PhoneID, c.TargetNumber)
	}
}

// event prints one line per event: local time, status, event type.
func (p *printer) event(ev *client.Event) {
	if p.json {
		p.jsonLine(ev)
		return
	}
	p.printf("%s  %-15s %s\n", clock(ev.CreatedAt), ev.Data.Call.Status, ev.Type)
}

// summary prints how a followed call ended.
func (p *printer) summary(c *client.Call) {
	if p.json {
		return // the call.ended line holds the final call
	}
	line := fmt.Sprintf("%s %s", c.ID, c.Status)
	if c.EndedReason != nil {
		line += fmt.Sprintf(" (%s)", *c.EndedReason)
	}
	if c.AnsweredAt != nil {
		line += fmt.Sprintf(" talk %.1fs", c.TalkDurationSeconds)
	}
	p.printf("%s\n", line)
}

// clock shows an API timestamp as local wall-clock time with
// milliseconds, which is what someone watching a call compares.
func clock(s string) string {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return s
	}
	return t.Local().Format("15:04:05.000")
}
