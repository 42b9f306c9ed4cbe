package sipsim

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"time"
)

// Scope grants access to a group of routes.
type Scope string

const (
	ScopePhonesRead  Scope = "phones.read"
	ScopePhonesWrite Scope = "phones.write"
	ScopeCallsRead   Scope = "calls.read"
	ScopeCallsCreate Scope = "calls.create"
	ScopeCallsWrite  Scope = "calls.write"
	// Webhooks carry call data to outside URLs: managing them is a scope
	// of its own.
	ScopeWebhooksRead  Scope = "webhooks.read"
	ScopeWebhooksWrite Scope = "webhooks.write"
	// ScopeAccountsAdmin manages tenants. Only tokens of the operator's
	// account (DefaultAccountID) may carry it.
	ScopeAccountsAdmin Scope = "accounts.admin"
)

// AllScopes lists every scope a token may carry.
var AllScopes = []Scope{ScopePhonesRead, ScopePhonesWrite, ScopeCallsRead, ScopeCallsCreate, ScopeCallsWrite,
	ScopeWebhooksRead, ScopeWebhooksWrite, ScopeAccountsAdmin}

// Valid reports whether s is a known scope.
func (s Scope) Valid() bool {
	for _, v := range AllScopes {
		if s == v {
			return true
		}
	}
	return false
}

// Token is an API bearer token. Only a hash of the secret is stored.
type Token struct {
	ID        int64
	AccountID int64
	Name      string
	Scopes    []Scope
	Hash      string // hex SHA-256 of the secret
	CreatedAt time.Time
	// ExpiresAt ends an access token issued by POST /oauth/token; nil for
	// a long-lived token made with sipsim token create. ClientID is the
	// OAuth client it was issued to ("" for none).
	ExpiresAt *time.Time
	ClientID  string
}

// Has reports whether t carries scope s.
func (t *Token) Has(s Scope) bool {
	for _, v := range t.Scopes {
		if v == s {
			return true
		}
	}
	return false
}

// TokenStore persists API tokens and the OAuth clients that obtain them.
type TokenStore interface {
	// CreateToken stores t and sets its ID. An access token for a client
	// also removes that client's expired ones, so they do not pile up.
	CreateToken(ctx context.Context, t *Token) error
	// TokenByHash finds a live token by the hash of its secret: ENOTFOUND
	// for an unknown, expired or revoked one.
	TokenByHash(ctx context.Context, hash string) (*Token, error)
	// RevokeToken deletes a token of the account: the next request with
	// it is refused. ENOTFOUND.
	RevokeToken(ctx context.Context, accountID, id int64) error

	// CreateClient stores c and sets its ID and CreatedAt. ECONFLICT when
	// its client id exists.
	CreateClient(ctx context.Context, c *OAuthClient) error
	// ClientByClientID finds a client. ENOTFOUND.
	ClientByClientID(ctx context.Context, clientID string) (*OAuthClient, error)
	// RevokeClient deletes a client and every access token issued to it.
	// ENOTFOUND.
	RevokeClient(ctx context.Context, clientID string) error
}

// OAuthClient may obtain short-lived access tokens with the client
// credentials grant (RFC 6749 section 4.4), with at most its scopes.
type OAuthClient struct {
	ID         int64
	AccountID  int64
	Name       string
	ClientID   string // public: "cli_" + random
	SecretHash string // HashToken of the client secret
	Scopes     []Scope
	CreatedAt  time.Time
}

// NewClientID returns a fresh public OAuth client id.
func NewClientID() string {
	b := make([]byte, 12)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	return "cli_" + base64.RawURLEncoding.EncodeToString(b)
}

// NewTokenSecret returns a fresh bearer token secret. The prefix makes
// leaked tokens easy to recognise by secret scanners.
func NewTokenSecret() string {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		panic(err) // crypto/rand never fails on supported platforms
	}
	return "sipsim_" + base64.RawURLEncoding.EncodeToString(b)
}

// HashToken returns the stored form of a token secret.
func HashToken(secret string) string {
	h := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(h[:])
}
