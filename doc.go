// Package sipsim holds the domain of the SIPSIM click-to-call platform: the
// types every other package speaks (Phone, Call, Token, ...) and the
// interfaces the adapters implement. It imports the standard library only;
// see ../docs/architecture.md for the picture.
package sipsim

// DefaultAccountID is the account that owns everything until tenants arrive.
// Every stored row carries an account id from the start so that multi-tenant
// deployments need no rewrite.
const DefaultAccountID int64 = 1
