// Package httpapi serves the SIPSIM REST API (/api/v2/...): bearer
// authentication with scopes, the JSON envelope every response shares, and
// the OpenAPI document that describes it. Handlers speak only the root
// package's interfaces; this package knows nothing of SQL or SIP.
package httpapi

import (
	"crypto/rand"
	"encoding/base32"
	"encoding/base64"
	"log/slog"
	"net/http"
	"net/netip"
	"strings"
	"time"

	"github.com/sipsim/sipsim"
)

// Config holds what the API needs. Logger, Now, NewID, Ready,
// NewWebhookSecret and KeepAlive have defaults; the stores, the event bus
// and the call service are required.
type Config struct {
	Logger        *slog.Logger
	Now           func() time.Time
	NewID         func() string // request ids; default "req_" + 20 random base32 characters
	Tokens        sipsim.TokenStore
	Phones        sipsim.PhoneStore
	Registrations sipsim.RegistrationStore
	// ListVersions reads, with the token of a request for a list, whether
	// the list kept rendered is still the list (see list_cache.go).
	ListVersions sipsim.ListVersionStore
	Calls        sipsim.CallService
	// Recordings serves the calls' recordings; nil answers 404.
	Recordings sipsim.RecordingService
	// Accounts gives each account's SIP domain: the digest realm phones'
	// HA1 values are computed for, and the sip_domain the API shows. The
	// admin API (scope accounts.admin) manages them.
	Accounts sipsim.AccountStore
	// Ready reports whether the node serves calls (HTTP and SIP both
	// listening, not shutting down); /healthz answers 503 otherwise.
	// Default: always ready.
	Ready func() bool

	Tags        sipsim.TagStore
	Webhooks    sipsim.WebhookStore
	Idempotency sipsim.IdempotencyStore
	// AudioFiles holds uploaded prompts, which phone settings refer to.
	AudioFiles sipsim.AudioFileStore
	// Events is the durable log event streams read; Bus only wakes them
	// when something new is stored.
	Events sipsim.EventStore
	Bus    sipsim.EventBus
	// CheckWebhookAddress says why webhook deliveries may not connect to
	// an address (nil if they may): registration refuses a URL whose host
	// is such an IP literal or a localhost name. main passes the
	// dispatcher's guard (events.AddressGuard.Check), which this package
	// does not import; nil accepts every URL, deliveries being guarded
	// at dial time anyway.
	CheckWebhookAddress func(netip.Addr) error
	// NewWebhookSecret returns the signing secret of a new webhook.
	// Default: "whsec_" and 32 random bytes in unpadded base64url.
	NewWebhookSecret func() string
	// AccessTokenTTL is how long an OAuth access token lives. Default 1 h.
	AccessTokenTTL time.Duration
	// KeepAlive is how often an idle event stream gets a comment line, so
	// proxies and load balancers do not close it. Default 15 s.
	KeepAlive time.Duration
	// WriteIdleTimeout drops a connection whose client takes none of a
	// response for this long. Default 30 s.
	WriteIdleTimeout time.Duration
	// ObserveRequest, if set, is told of every request once its handler
	// returned: the method and pattern of the route that served it (route
	// "unmatched", method "OTHER" for a method outside HTTP's own, when
	// none did), the status sent and how long it took. Never the raw
	// path, whose ids would make a metric's series unbounded.
	ObserveRequest func(method, route string, status int, d time.Duration)

	lists *renderedLists // the server's kept list renderings
}

// NewServer returns the API as one handler. It panics when a required
// dependency is missing, as that is a wiring mistake found at start-up.
func NewServer(cfg Config) http.Handler {
	cfg = cfg.withDefaults()
	mux := http.NewServeMux()
	for _, rt := range routes() {
		h := rt.Handler(cfg)
		if rt.Scope != "" {
			h = requireScope(cfg, rt.Scope, keptLists[rt.Method+" "+rt.Pattern], h)
		}
		mux.Handle(rt.Method+" "+rt.Pattern, routed(h))
	}
	return serveRequest(cfg, router{cfg: cfg, mux: mux})
}

func (cfg Config) withDefaults() Config {
	if cfg.Tokens == nil || cfg.Accounts == nil || cfg.Phones == nil || cfg.Registrations == nil || cfg.ListVersions == nil || cfg.Calls == nil ||
		cfg.Tags == nil || cfg.Webhooks == nil || cfg.Idempotency == nil || cfg.Events == nil || cfg.Bus == nil || cfg.AudioFiles == nil {
		panic("httpapi: Config needs Tokens, Accounts, Phones, Registrations, ListVersions, Calls, Tags, Webhooks, Idempotency, Events, Bus and AudioFiles")
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.lists == nil {
		cfg.lists = newRenderedLists(maxRenderedBytes)
	}
	if cfg.AccessTokenTTL <= 0 {
		cfg.AccessTokenTTL = defaultAccessTokenTTL
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.NewID == nil {
		cfg.NewID = newRequestID
	}
	if cfg.Ready == nil {
		cfg.Ready = func() bool { return true }
	}
	if cfg.NewWebhookSecret == nil {
		cfg.NewWebhookSecret = newWebhookSecret
	}
	if cfg.KeepAlive <= 0 {
		cfg.KeepAlive = 15 * time.Second
	}
	if cfg.WriteIdleTimeout <= 0 {
		cfg.WriteIdleTimeout = 30 * time.Second
	}
	return cfg
}

var idEncoding = base32.StdEncoding.WithPadding(base32.NoPadding)

// newRequestID returns "req_" and 20 base32 characters (100 random bits).
func newRequestID() string {
	b := make([]byte, 13)
	_, _ = rand.Read(b) // crypto/rand never fails on supported platforms
	return "req_" + strings.ToLower(idEncoding.EncodeToString(b)[:20])
}

// newWebhookSecret is the default NewWebhookSecret, the same format as the
// events package's, so that this package need not import it.
func newWebhookSecret() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b) // crypto/rand never fails on supported platforms
	return "whsec_" + base64.RawURLEncoding.EncodeToString(b)
}
