// Package e2e holds black-box end-to-end tests: they build the sipsim
// binary, start it on loopback ports with a temporary data directory, and
// drive it the way users and devices do: the REST API over HTTP, SIPp as
// the employee's phone and as the carrier, baresip as a real softphone with
// audio. Nothing here imports the server's packages.
//
// The peers come from Debian packages (sip-tester, baresip, tshark, sox);
// a missing one fails the tests with the apt-get command that installs it.
// See docs/testing.md.
package e2e
