package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
)

// usageError makes run exit with status 2, as flag parsing errors do.
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

func exitCode(err error) int {
	var u usageError
	if errors.As(err, &u) || errors.Is(err, flag.ErrHelp) {
		return 2
	}
	return 1
}

const usage = `Usage: sipsim <command> [flags]

Commands:
  serve          run the HTTP API, SIP registrar and call engine
  account create create a tenant account and print its id on the last line
  token create   create an API token and print it on the last line
  token revoke   revoke an API token at once
  client create  create an OAuth client (POST /oauth/token); prints its id and secret
  client revoke  revoke an OAuth client and its access tokens
  call           place a click-to-call through the API, --follow its progress
  calls list     list calls through the API, newest first, with filters

Run "sipsim <command> -h" for a command's flags.
`

// run is the whole program: main passes it the process's arguments,
// environment and standard streams.
func run(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return usageError{"missing command"}
	}
	switch args[0] {
	case "serve":
		return runServe(ctx, args[1:], getenv, stderr)
	case "account":
		if len(args) < 2 || args[1] != "create" {
			fmt.Fprint(stderr, "Usage: sipsim account create --name NAME --sip-domain DOMAIN --country CC [--allowed-countries CC,CC] [--data-dir DIR | --db URL]\n")
			return usageError{"unknown account command"}
		}
		return runAccountCreate(ctx, args[2:], getenv, stdout, stderr)
	case "token":
		switch {
		case len(args) >= 2 && args[1] == "create":
			return runTokenCreate(ctx, args[2:], getenv, stdout, stderr)
		case len(args) >= 2 && args[1] == "revoke":
			return runTokenRevoke(ctx, args[2:], getenv, stderr)
		}
		fmt.Fprint(stderr, "Usage: sipsim token create --scopes SCOPES [--account ID] [--name NAME] [--data-dir DIR | --db URL]\n"+
			"       sipsim token revoke --id TOKEN_ID [--account ID]\n")
		return usageError{"unknown token command"}
	case "client":
		switch {
		case len(args) >= 2 && args[1] == "create":
			return runClientCreate(ctx, args[2:], getenv, stdout, stderr)
		case len(args) >= 2 && args[1] == "revoke":
			return runClientRevoke(ctx, args[2:], getenv, stderr)
		}
		fmt.Fprint(stderr, "Usage: sipsim client create --scopes SCOPES [--account ID] [--name NAME]\n"+
			"       sipsim client revoke --client-id CLIENT_ID\n")
		return usageError{"unknown client command"}
	case "call":
		return runCall(ctx, args[1:], getenv, stdout, stderr)
	case "calls":
		if len(args) < 2 || args[1] != "list" {
			fmt.Fprint(stderr, "Usage: sipsim calls list [filters] [--json]\n")
			return usageError{"unknown calls command"}
		}
		return runCallsList(ctx, args[2:], getenv, stdout, stderr)
	case "-h", "--help", "help":
		fmt.Fprint(stdout, usage)
		return nil
	}
	fmt.Fprintf(stderr, "sipsim: unknown command %q\n\n%s", args[0], usage)
	return usageError{"unknown command"}
}
