package main

import (
	"context"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/sipsim/sipsim"
)

// runTokenCreate creates an API token. The secret is the last line of
// stdout (scripts take it with tail -n1); it is stored only as a hash and
// cannot be shown again.
func runTokenCreate(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := newFlagSet("sipsim token create", stderr)
	scopes := fs.String("scopes", "", "comma-separated scopes: "+scopeList())
	name := fs.String("name", "", "a label to recognise the token by")
	account := fs.Int64("account", sipsim.DefaultAccountID, "the account the token acts for (sipsim account create prints it)")
	sf := addStoreFlags(fs)
	if err := parseFlags(fs, args, getenv); err != nil {
		return err
	}
	list, err := parseScopes(*scopes, stderr)
	if err != nil {
		return err
	}
	db, err := openForAccount(ctx, sf, *account, list, stderr)
	if err != nil {
		return err
	}
	defer db.Close()
	secret := sipsim.NewTokenSecret()
	t := &sipsim.Token{AccountID: *account, Name: *name, Scopes: list, Hash: sipsim.HashToken(secret), CreatedAt: time.Now().UTC()}
	if err := db.CreateToken(ctx, t); err != nil {
		fmt.Fprintln(stderr, "sipsim:", err)
		return err
	}
	fmt.Fprintf(stderr, "Created token %d with scopes %s. Keep it secret: it is shown only once.\n", t.ID, *scopes)
	fmt.Fprintln(stdout, secret)
	return nil
}

// openForAccount opens the store for creating credentials of account with
// scopes: the account must exist, and only the operator's may administer.
func openForAccount(ctx context.Context, sf storeFlags, account int64, scopes []sipsim.Scope, stderr io.Writer) (store, error) {
	if account != sipsim.DefaultAccountID && slices.Contains(scopes, sipsim.ScopeAccountsAdmin) {
		fmt.Fprintf(stderr, "sipsim: %s is for the operator account (%d) only\n", sipsim.ScopeAccountsAdmin, sipsim.DefaultAccountID)
		return nil, usageError{"admin scope for a tenant"}
	}
	db, err := sf.open(ctx, stderr)
	if err != nil {
		return nil, err
	}
	if _, err := db.Account(ctx, account); err != nil {
		db.Close()
		fmt.Fprintf(stderr, "sipsim: account %d: %s\n", account, sipsim.ErrorMessage(err))
		return nil, err
	}
	return db, nil
}

// parseScopes reads a comma-separated list of scopes, at least one.
func parseScopes(s string, stderr io.Writer) ([]sipsim.Scope, error) {
	var list []sipsim.Scope
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		sc := sipsim.Scope(part)
		if !sc.Valid() {
			fmt.Fprintf(stderr, "sipsim: unknown scope %q (known: %s)\n", part, scopeList())
			return nil, usageError{"unknown scope"}
		}
		list = append(list, sc)
	}
	if len(list) == 0 {
		fmt.Fprintf(stderr, "sipsim: --scopes is required (known: %s)\n", scopeList())
		return nil, usageError{"no scopes"}
	}
	return list, nil
}

func scopeList() string {
	s := make([]string, len(sipsim.AllScopes))
	for i, v := range sipsim.AllScopes {
		s[i] = string(v)
	}
	return strings.Join(s, ",")
}
