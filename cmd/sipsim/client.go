package main

import (
	"context"
	"fmt"
	"io"

	"github.com/sipsim/sipsim"
)

// runClientCreate makes an OAuth client. stdout's last two lines are its
// client id and its secret, shown only now: POST /oauth/token trades them
// for access tokens that expire.
func runClientCreate(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := newFlagSet("sipsim client create", stderr)
	scopes := fs.String("scopes", "", "comma-separated scopes the client may ask for: "+scopeList())
	name := fs.String("name", "", "a label to recognise the client by")
	account := fs.Int64("account", sipsim.DefaultAccountID, "the account its tokens act for")
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
	c := &sipsim.OAuthClient{AccountID: *account, Name: *name, ClientID: sipsim.NewClientID(), SecretHash: sipsim.HashToken(secret), Scopes: list}
	if err := db.CreateClient(ctx, c); err != nil {
		fmt.Fprintln(stderr, "sipsim:", err)
		return err
	}
	fmt.Fprintf(stderr, "Created OAuth client %s with scopes %s. Keep the secret (last line) safe: it is shown only once.\n", c.ClientID, *scopes)
	fmt.Fprintln(stdout, c.ClientID)
	fmt.Fprintln(stdout, secret)
	return nil
}

// runClientRevoke deletes a client and every access token it obtained: the
// next request with any of them gets 401.
func runClientRevoke(ctx context.Context, args []string, getenv func(string) string, stderr io.Writer) error {
	fs := newFlagSet("sipsim client revoke", stderr)
	clientID := fs.String("client-id", "", "the client to revoke (sipsim client create printed it)")
	sf := addStoreFlags(fs)
	if err := parseFlags(fs, args, getenv); err != nil {
		return err
	}
	if *clientID == "" {
		fmt.Fprintln(stderr, "sipsim: --client-id is required")
		return usageError{"client id expected"}
	}
	db, err := sf.open(ctx, stderr)
	if err != nil {
		return err
	}
	defer db.Close()
	if err := db.RevokeClient(ctx, *clientID); err != nil {
		fmt.Fprintln(stderr, "sipsim:", sipsim.ErrorMessage(err))
		return err
	}
	fmt.Fprintf(stderr, "Revoked OAuth client %s and its access tokens.\n", *clientID)
	return nil
}

// runTokenRevoke deletes a long-lived token: the next request with it gets
// 401.
func runTokenRevoke(ctx context.Context, args []string, getenv func(string) string, stderr io.Writer) error {
	fs := newFlagSet("sipsim token revoke", stderr)
	account := fs.Int64("account", sipsim.DefaultAccountID, "the token's account")
	id := fs.Int64("id", 0, "the token to revoke (sipsim token create printed it)")
	sf := addStoreFlags(fs)
	if err := parseFlags(fs, args, getenv); err != nil {
		return err
	}
	if *id <= 0 {
		fmt.Fprintln(stderr, "sipsim: --id is required")
		return usageError{"token id expected"}
	}
	db, err := sf.open(ctx, stderr)
	if err != nil {
		return err
	}
	defer db.Close()
	if err := db.RevokeToken(ctx, *account, *id); err != nil {
		fmt.Fprintln(stderr, "sipsim:", sipsim.ErrorMessage(err))
		return err
	}
	fmt.Fprintf(stderr, "Revoked token %d.\n", *id)
	return nil
}
