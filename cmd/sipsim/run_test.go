package main

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"
)

func TestTokenCreatePrintsSecretOnLastLine(t *testing.T) {
	dir := t.TempDir()
	var out, errOut bytes.Buffer
	err := run(context.Background(), []string{"token", "create", "--scopes", "calls.create,phones.read", "--name", "crm"},
		func(k string) string {
			if k == "SIPSIM_DATA_DIR" {
				return dir // the environment stands in for --data-dir
			}
			return ""
		}, nil, &out, &errOut)
	if err != nil {
		t.Fatalf("run: %v\n%s", err, errOut.String())
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if last := lines[len(lines)-1]; !strings.HasPrefix(last, "sipsim_") || len(last) < 40 {
		t.Fatalf("last stdout line = %q, want a token", last)
	}
	if got, _ := filepath.Glob(filepath.Join(dir, "sipsim.db")); len(got) != 1 {
		t.Fatalf("no database created in the data dir from SIPSIM_DATA_DIR")
	}
}

func TestUsageErrorsExitWith2(t *testing.T) {
	tests := [][]string{
		{},
		{"frobnicate"},
		{"token"},
		{"token", "create"},
		{"token", "create", "--scopes", "calls.create,calls.destroy"},
		{"serve", "--rtp-ports", "20000"},
		{"serve", "--log-level", "loud"},
		{"serve", "--heap-floor-mib", "-1"},
		{"serve", "--sqlite-writer-nice", "-1"},
		{"serve", "--sqlite-writer-nice", "20"},
		{"serve", "extra-argument"},
		{"serve", "--sip-addr", "127.0.0.1:0", "--http-addr", "127.0.0.1:0", "--sip-digest-algorithms", "SHA-512"},
		{"serve", "--sip-addr", "127.0.0.1:0", "--http-addr", "127.0.0.1:0", "--sip-digest-algorithms", "MD5,md5"},
		{"serve", "--sip-addr", "127.0.0.1:0", "--http-addr", "127.0.0.1:0", "--webhook-allow-networks", "10.0.0.0/8,bogus"},
		{"serve", "--sip-addr", "127.0.0.1:0", "--http-addr", "127.0.0.1:0", "--sip-request-rate", "0"},
	}
	for _, args := range tests {
		var out, errOut bytes.Buffer
		env := func(k string) string {
			if k == "SIPSIM_DATA_DIR" {
				return t.TempDir()
			}
			return ""
		}
		err := run(context.Background(), args, env, nil, &out, &errOut)
		if err == nil || exitCode(err) != 2 {
			t.Errorf("sipsim %v: err %v (exit %d), want a usage error (exit 2)", args, err, exitCode(err))
		}
	}
}

func TestFlagBeatsEnvironment(t *testing.T) {
	fs := newFlagSet("x", &bytes.Buffer{})
	addr := fs.String("http-addr", "127.0.0.1:8080", "")
	level := fs.String("log-level", "info", "")
	env := map[string]string{"SIPSIM_HTTP_ADDR": "127.0.0.1:9999", "SIPSIM_LOG_LEVEL": "debug"}
	if err := parseFlags(fs, []string{"--http-addr", "127.0.0.1:1234"}, func(k string) string { return env[k] }); err != nil {
		t.Fatal(err)
	}
	if *addr != "127.0.0.1:1234" || *level != "debug" {
		t.Fatalf("http-addr %q (want the flag), log-level %q (want the environment)", *addr, *level)
	}
}

func TestParsePortRange(t *testing.T) {
	if lo, hi, err := parsePortRange("10000-20000"); err != nil || lo != 10000 || hi != 20000 {
		t.Fatalf("got %d-%d %v", lo, hi, err)
	}
	for _, bad := range []string{"", "10000", "a-b", "20000-10000", "80-90", "10000-70000", "10000-10001"} {
		if _, _, err := parsePortRange(bad); err == nil {
			t.Errorf("parsePortRange(%q) accepted", bad)
		}
	}
}
