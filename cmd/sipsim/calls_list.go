package main

import (
	"context"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/sipsim/sipsim/client"
)

// maxPage is the largest page the API serves.
const maxPage = 100

// runCallsList prints the newest calls matching the filters.
func runCallsList(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := newFlagSet("sipsim calls list", stderr)
	var p client.ListCallsParams
	fs.Func("status", "only calls in this status (repeat or comma-separate for several)", func(v string) error {
		for _, s := range splitList(v) {
			p.Statuses = append(p.Statuses, client.CallStatus(s))
		}
		return nil
	})
	fs.Int64Var(&p.PhoneID, "phone", 0, "only calls from this phone id")
	fs.StringVar(&p.TargetNumber, "to", "", "only calls to this number, E.164")
	fs.StringVar(&p.Tag, "tag", "", "only calls with this tag name")
	fs.Func("since", "only calls created at or after this time, RFC 3339 (2026-01-15T09:00:00Z)", timeFlag(&p.CreatedAfter))
	fs.Func("until", "only calls created before this time, RFC 3339", timeFlag(&p.CreatedBefore))
	fs.Func("reason", "only calls that ended for this reason (repeat or comma-separate)", func(v string) error {
		for _, s := range splitList(v) {
			p.EndedReasons = append(p.EndedReasons, client.EndReason(s))
		}
		return nil
	})
	limit := fs.Int("limit", 25, "print at most this many calls")
	asJSON := fs.Bool("json", false, "print one call object per line instead of a table")
	fs.Usage = func() {
		fmt.Fprint(stderr, "Usage: sipsim calls list [--status S] [--phone ID] [--to NUMBER] [--tag T] [--since RFC3339] [--until RFC3339] [--reason R] [--limit N] [--json]\n\n"+apiEnvHelp)
		fs.PrintDefaults()
	}
	if err := parseCommandFlags(fs, args); err != nil {
		return err
	}
	if *limit < 1 {
		fmt.Fprintln(stderr, "sipsim calls list: --limit must be at least 1")
		return usageError{"bad --limit"}
	}
	c, err := newAPIClient(getenv, stderr)
	if err != nil {
		return err
	}
	p.Limit = min(*limit, maxPage)

	out := newPrinter(stdout, *asJSON)
	table := newCallTable(stdout)
	n := 0
	for call, err := range c.AllCalls(ctx, p) {
		if err != nil {
			return apiFailure(stderr, getenv, err)
		}
		if *asJSON {
			out.jsonLine(call)
		} else {
			table.row(call)
		}
		if n++; n == *limit {
			break
		}
	}
	if *asJSON {
		return out.err
	}
	if n == 0 {
		fmt.Fprintln(stderr, "No calls match.")
	}
	return table.flush()
}

func splitList(v string) []string {
	var out []string
	for s := range strings.SplitSeq(v, ",") {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}

// timeFlag parses an RFC 3339 time into t.
func timeFlag(t *time.Time) func(string) error {
	return func(v string) error {
		parsed, err := time.Parse(time.RFC3339Nano, v)
		if err != nil {
			return fmt.Errorf("want an RFC 3339 time such as 2026-01-15T09:00:00Z")
		}
		*t = parsed
		return nil
	}
}

// callTable prints calls in aligned columns.
type callTable struct {
	tw     *tabwriter.Writer
	header bool
}

func newCallTable(w io.Writer) *callTable {
	return &callTable{tw: tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)}
}

func (t *callTable) row(c *client.Call) {
	if !t.header {
		fmt.Fprintln(t.tw, "ID\tCREATED\tSTATUS\tREASON\tPHONE\tTARGET\tTALK\tTAGS")
		t.header = true
	}
	reason := "-"
	if c.EndedReason != nil {
		reason = string(*c.EndedReason)
	}
	talk := "-"
	if c.AnsweredAt != nil {
		talk = fmt.Sprintf("%.1fs", c.TalkDurationSeconds)
	}
	tags := make([]string, 0, len(c.Tags))
	for _, tag := range c.Tags {
		tags = append(tags, tag.Name)
	}
	tagList := strings.Join(tags, ",")
	if tagList == "" {
		tagList = "-"
	}
	fmt.Fprintf(t.tw, "%s\t%s\t%s\t%s\t%d\t%s\t%s\t%s\n",
		c.ID, localTime(c.CreatedAt), c.Status, reason, c.PhoneID, c.TargetNumber, talk, tagList)
}

func (t *callTable) flush() error { return t.tw.Flush() }

// localTime shows an API timestamp as local date and time.
func localTime(s string) string {
	ts, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return s
	}
	return ts.Local().Format("2006-01-02 15:04:05")
}
