// Command sipsim runs the SIPSIM click-to-call platform and administers it.
//
//	sipsim serve                 run the API, the SIP registrar and the call engine
//	sipsim account create        create a tenant account
//	sipsim token create|revoke   create or revoke an API bearer token
//	sipsim client create|revoke  create or revoke an OAuth client (POST /oauth/token)
//	sipsim call                  place a click-to-call and follow it (SDK client)
//	sipsim calls list            search call history (SDK client)
//
// main only calls run, which end-to-end tests drive directly.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Getenv, os.Stdin, os.Stdout, os.Stderr); err != nil {
		os.Exit(exitCode(err))
	}
}
