package main

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/sipsim/sipsim"
	"github.com/sipsim/sipsim/e164"
)

// runAccountCreate adds a tenant and prints its id on the last line of
// stdout, for scripts (then: sipsim token create --account ID).
func runAccountCreate(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := newFlagSet("sipsim account create", stderr)
	name := fs.String("name", "", "the account's name")
	domain := fs.String("sip-domain", "", "the SIP domain its phones register to, e.g. acme.sip.example.com (also their digest realm)")
	country := fs.String("country", "", "ISO 3166 region of the account, e.g. FR: the default allowed destination")
	countries := fs.String("allowed-countries", "", "comma-separated regions calls may go to (default: --country)")
	sf := addStoreFlags(fs)
	if err := parseFlags(fs, args, getenv); err != nil {
		return err
	}
	a := &sipsim.Account{Name: strings.TrimSpace(*name), SIPDomain: strings.ToLower(strings.TrimSpace(*domain)), Country: strings.ToUpper(*country)}
	for _, c := range strings.Split(*countries, ",") {
		if c = strings.ToUpper(strings.TrimSpace(c)); c != "" {
			a.Limits.AllowedCountries = append(a.Limits.AllowedCountries, c)
		}
	}
	var problems []string
	if a.Name == "" {
		problems = append(problems, "--name is required")
	}
	if a.SIPDomain == "" {
		problems = append(problems, "--sip-domain is required")
	}
	for _, c := range append([]string{a.Country}, a.Limits.AllowedCountries...) {
		if !e164.KnownRegion(c) {
			problems = append(problems, fmt.Sprintf("%q is not an ISO 3166 region code such as FR", c))
		}
	}
	if len(problems) > 0 {
		fmt.Fprintln(stderr, "sipsim:", strings.Join(problems, "; "))
		return usageError{"invalid account"}
	}
	db, err := sf.open(ctx, stderr)
	if err != nil {
		return err
	}
	defer db.Close()
	if err := db.CreateAccount(ctx, a); err != nil {
		fmt.Fprintln(stderr, "sipsim:", sipsim.ErrorMessage(err))
		return err
	}
	fmt.Fprintf(stderr, "Created account %d (%s): its phones register to sip:EXTENSION@%s.\n", a.ID, a.Name, a.SIPDomain)
	fmt.Fprintln(stdout, a.ID)
	return nil
}
