package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

func TestAccountCreateThenTenantToken(t *testing.T) {
	dir := t.TempDir()
	sipsim := func(args ...string) (string, string, error) {
		var out, errOut bytes.Buffer
		err := run(context.Background(), append(args, "--data-dir", dir), func(string) string { return "" }, nil, &out, &errOut)
		return strings.TrimSpace(out.String()), errOut.String(), err
	}
	id, stderr, err := sipsim("account", "create", "--name", "Acme", "--sip-domain", "Acme.SIP.example.com", "--country", "de", "--allowed-countries", "de,at")
	if err != nil || id != "2" || !strings.Contains(stderr, "sip:EXTENSION@acme.sip.example.com") {
		t.Fatalf("account create: id %q, err %v, stderr %s", id, err, stderr)
	}
	if _, stderr, err := sipsim("account", "create", "--name", "Again", "--sip-domain", "acme.sip.example.com", "--country", "FR"); err == nil ||
		!strings.Contains(stderr, "SIP domain acme.sip.example.com is taken") {
		t.Errorf("same domain twice: err %v, stderr %s", err, stderr)
	}
	if _, _, err := sipsim("token", "create", "--account", id, "--scopes", "calls.create"); err != nil {
		t.Errorf("token for the new account: %v", err)
	}
	if _, stderr, err := sipsim("token", "create", "--account", "99", "--scopes", "calls.create"); err == nil || !strings.Contains(stderr, "Account not found") {
		t.Errorf("token for an unknown account: err %v, stderr %s", err, stderr)
	}
	// A tenant never gets the operator's admin scope.
	if _, stderr, err := sipsim("token", "create", "--account", id, "--scopes", "accounts.admin"); exitCode(err) != 2 || !strings.Contains(stderr, "operator account") {
		t.Errorf("admin scope for a tenant: err %v, stderr %s", err, stderr)
	}
	for _, bad := range [][]string{
		{"account", "create", "--sip-domain", "x.example.com", "--country", "FR"},
		{"account", "create", "--name", "X", "--country", "FR"},
		{"account", "create", "--name", "X", "--sip-domain", "x.example.com", "--country", "XX"},
		{"account", "list"},
	} {
		if _, _, err := sipsim(bad...); exitCode(err) != 2 {
			t.Errorf("sipsim %v: exit %d, want 2", bad, exitCode(err))
		}
	}
}

func TestClientCreateAndRevoke(t *testing.T) {
	dir := t.TempDir()
	sipsim := func(args ...string) ([]string, string, error) {
		var out, errOut bytes.Buffer
		err := run(context.Background(), append(args, "--data-dir", dir), func(string) string { return "" }, nil, &out, &errOut)
		return strings.Split(strings.TrimSpace(out.String()), "\n"), errOut.String(), err
	}
	lines, stderr, err := sipsim("client", "create", "--scopes", "calls.create,phones.read", "--name", "crm")
	if err != nil || len(lines) != 2 || !strings.HasPrefix(lines[0], "cli_") || !strings.HasPrefix(lines[1], "sipsim_") {
		t.Fatalf("client create: %q, err %v, stderr %s", lines, err, stderr)
	}
	if _, stderr, err := sipsim("client", "revoke", "--client-id", lines[0]); err != nil {
		t.Fatalf("client revoke: %v %s", err, stderr)
	}
	if _, stderr, err := sipsim("client", "revoke", "--client-id", lines[0]); err == nil || !strings.Contains(stderr, "OAuth client not found") {
		t.Errorf("second revoke: err %v, stderr %s", err, stderr)
	}
	if _, _, err := sipsim("token", "create", "--scopes", "phones.read"); err != nil {
		t.Fatal(err)
	}
	if _, stderr, err := sipsim("token", "revoke", "--id", "1"); err != nil {
		t.Errorf("token revoke: %v %s", err, stderr)
	}
	if _, stderr, err := sipsim("token", "revoke", "--id", "1"); err == nil || !strings.Contains(stderr, "Token not found") {
		t.Errorf("second token revoke: err %v, stderr %s", err, stderr)
	}
	for _, bad := range [][]string{{"client"}, {"client", "revoke"}, {"token", "revoke"}, {"token", "revoke", "--id", "0"}, {"client", "create", "--scopes", "nope"}} {
		if _, _, err := sipsim(bad...); exitCode(err) != 2 {
			t.Errorf("sipsim %v: exit %d, want 2", bad, exitCode(err))
		}
	}
}
