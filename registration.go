package sipsim

import (
	"context"
	"time"
)

// Registration is one contact binding of a phone, learned from REGISTER.
// A phone may have several (desk phone plus softphone).
type Registration struct {
	AccountID int64
	PhoneID   int64
	// Contact is the URI the phone asked to be reached at, as sent.
	Contact string
	// Received is the transport address the REGISTER really came from
	// ("ip:port"); requests are sent there so phones behind NAT work.
	Received  string
	Transport string // "udp" or "tcp"
	UserAgent string
	CallID    string
	CSeq      uint32
	ExpiresAt time.Time
	UpdatedAt time.Time
	// NodeID is the cluster node (sipsim.Node.ID) that received the
	// REGISTER: a call for the phone runs there, where the phone's NAT
	// binding or TCP connection is.
	NodeID string
}

// RegistrationStore persists contact bindings.
type RegistrationStore interface {
	// SaveRegistration inserts or refreshes the binding (phone, contact).
	SaveRegistration(ctx context.Context, r *Registration) error
	// DeleteRegistration removes one binding; no error if it is absent.
	DeleteRegistration(ctx context.Context, phoneID int64, contact string) error
	// DeleteRegistrations removes every binding of a phone.
	DeleteRegistrations(ctx context.Context, phoneID int64) error
	// Registrations returns the bindings of a phone that have not expired at
	// now, most recently refreshed first.
	Registrations(ctx context.Context, phoneID int64, now time.Time) ([]*Registration, error)
	// LiveBindings returns how many bindings each of the account's phones
	// has that have not expired at now, and when the first of them
	// expires. One query for a whole list of phones.
	LiveBindings(ctx context.Context, accountID int64, now time.Time) (LiveBindings, error)
}

// LiveBindings is how many unexpired bindings an account's phones have.
type LiveBindings struct {
	// Count is the number of bindings per phone id; phones with none are
	// absent.
	Count map[int64]int
	// NextExpiry is when the first of these bindings expires, the next
	// time a count drops without any write; zero when there are none.
	NextExpiry time.Time
}
