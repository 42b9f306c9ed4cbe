package httpapi

import (
	"crypto/subtle"
	"errors"
	"fmt"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/sipsim/sipsim"
)

// OAuth 2.0 client credentials (RFC 6749 section 4.4) and token revocation
// (RFC 7009). Clients (sipsim client create) trade their id and secret for
// an access token that expires; long-lived tokens stay for scripts.
//
// Answers follow the RFCs so that OAuth libraries work: the token response
// is {access_token, token_type, expires_in, scope}; errors carry the RFC's
// "error" and "error_description" inside SIPSIM's usual error envelope.

// defaultAccessTokenTTL is how long an access token lives.
const defaultAccessTokenTTL = time.Hour

// maxOAuthBody bounds the form of /oauth/token and /oauth/revoke.
const maxOAuthBody = 8 << 10

// oauthError is the error envelope with RFC 6749 section 5.2's members.
type oauthError struct {
	errorEnvelope
	Error            string `json:"error"`
	ErrorDescription string `json:"error_description"`
}

// tokenResponse is RFC 6749 section 5.1's successful answer.
type tokenResponse struct {
	AccessToken string `json:"access_token"`
	TokenType   string `json:"token_type"`
	ExpiresIn   int    `json:"expires_in"`
	Scope       string `json:"scope"`
}

func writeOAuthError(w http.ResponseWriter, r *http.Request, cfg Config, status int, code, description string) {
	if status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Basic realm="sipsim"`)
	}
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, r, cfg, status, oauthError{
		errorEnvelope: errorEnvelope{Status: status, Errors: []string{description}, RequestID: requestID(r.Context()),
			Timestamp: envelopeTime(cfg.Now()), Path: r.URL.Path},
		Error: code, ErrorDescription: description,
	})
}

// readOAuthForm parses the form body RFC 6749 requires, or answers the
// problem and returns false.
func readOAuthForm(w http.ResponseWriter, r *http.Request, cfg Config) bool {
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt != "application/x-www-form-urlencoded" {
		writeOAuthError(w, r, cfg, http.StatusBadRequest, "invalid_request", "The body must be application/x-www-form-urlencoded")
		return false
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxOAuthBody)
	if err := r.ParseForm(); err != nil {
		if _, ok := errors.AsType[*http.MaxBytesError](err); ok {
			writeOAuthError(w, r, cfg, http.StatusRequestEntityTooLarge, "invalid_request",
				fmt.Sprintf("request body must not exceed %d bytes", maxOAuthBody))
			return false
		}
		writeOAuthError(w, r, cfg, http.StatusBadRequest, "invalid_request", "The form could not be read")
		return false
	}
	for k, v := range r.PostForm {
		if len(v) > 1 {
			writeOAuthError(w, r, cfg, http.StatusBadRequest, "invalid_request", k+" must be given once")
			return false
		}
	}
	return true
}

// authenticateClient checks the client's credentials, sent with HTTP Basic
// (client_secret_basic) or in the form (client_secret_post), not both.
// Unknown clients and wrong secrets get the same answer.
func authenticateClient(w http.ResponseWriter, r *http.Request, cfg Config) (*sipsim.OAuthClient, bool) {
	id, secret, basic := r.BasicAuth()
	if basic {
		// RFC 6749 section 2.3.1: both are form-urlencoded first.
		var err1, err2 error
		id, err1 = url.QueryUnescape(id)
		secret, err2 = url.QueryUnescape(secret)
		if err1 != nil || err2 != nil || r.PostForm.Has("client_secret") {
			writeOAuthError(w, r, cfg, http.StatusBadRequest, "invalid_request", "Send the client credentials once: HTTP Basic or the form")
			return nil, false
		}
	} else {
		id, secret = r.PostForm.Get("client_id"), r.PostForm.Get("client_secret")
	}
	if id == "" || secret == "" {
		writeOAuthError(w, r, cfg, http.StatusUnauthorized, "invalid_client", "Client authentication failed")
		return nil, false
	}
	c, err := cfg.Tokens.ClientByClientID(r.Context(), id)
	if sipsim.ErrorCode(err) == sipsim.ENOTFOUND ||
		(err == nil && subtle.ConstantTimeCompare([]byte(sipsim.HashToken(secret)), []byte(c.SecretHash)) != 1) {
		writeOAuthError(w, r, cfg, http.StatusUnauthorized, "invalid_client", "Client authentication failed")
		return nil, false
	}
	if err != nil {
		writeError(w, r, cfg, err)
		return nil, false
	}
	return c, true
}

// handleOAuthToken is POST /oauth/token with grant_type=client_credentials.
func handleOAuthToken(cfg Config) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !readOAuthForm(w, r, cfg) {
			return
		}
		if gt := r.PostForm.Get("grant_type"); gt != "client_credentials" {
			writeOAuthError(w, r, cfg, http.StatusBadRequest, "unsupported_grant_type", "grant_type must be client_credentials")
			return
		}
		client, ok := authenticateClient(w, r, cfg)
		if !ok {
			return
		}
		scopes := client.Scopes
		if asked := strings.Fields(r.PostForm.Get("scope")); len(asked) > 0 {
			scopes = nil
			for _, s := range asked {
				if !slices.Contains(client.Scopes, sipsim.Scope(s)) {
					writeOAuthError(w, r, cfg, http.StatusBadRequest, "invalid_scope", "This client may not have the "+s+" scope")
					return
				}
				if !slices.Contains(scopes, sipsim.Scope(s)) {
					scopes = append(scopes, sipsim.Scope(s))
				}
			}
		}
		secret := sipsim.NewTokenSecret()
		expires := cfg.Now().Add(cfg.AccessTokenTTL)
		tok := &sipsim.Token{AccountID: client.AccountID, Name: "oauth " + client.Name, Scopes: scopes,
			Hash: sipsim.HashToken(secret), ExpiresAt: &expires, ClientID: client.ClientID}
		if err := cfg.Tokens.CreateToken(r.Context(), tok); err != nil {
			writeError(w, r, cfg, err)
			return
		}
		names := make([]string, len(scopes))
		for i, s := range scopes {
			names[i] = string(s)
		}
		w.Header().Set("Cache-Control", "no-store")
		w.Header().Set("Pragma", "no-cache")
		writeJSON(w, r, cfg, http.StatusOK, tokenResponse{AccessToken: secret, TokenType: "Bearer",
			ExpiresIn: int(cfg.AccessTokenTTL / time.Second), Scope: strings.Join(names, " ")})
	})
}

// handleOAuthRevoke is POST /oauth/revoke (RFC 7009): a client revokes an
// access token issued to it. Unknown tokens also get 200, as the RFC says:
// the answer tells nothing about tokens the client does not hold.
func handleOAuthRevoke(cfg Config) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !readOAuthForm(w, r, cfg) {
			return
		}
		client, ok := authenticateClient(w, r, cfg)
		if !ok {
			return
		}
		token := r.PostForm.Get("token")
		if token == "" {
			writeOAuthError(w, r, cfg, http.StatusBadRequest, "invalid_request", "token is required")
			return
		}
		tok, err := cfg.Tokens.TokenByHash(r.Context(), sipsim.HashToken(token))
		if err == nil && tok.ClientID == client.ClientID {
			err = cfg.Tokens.RevokeToken(r.Context(), tok.AccountID, tok.ID)
		}
		if err != nil && sipsim.ErrorCode(err) != sipsim.ENOTFOUND {
			writeError(w, r, cfg, err)
			return
		}
		writeData(w, r, cfg, http.StatusOK, struct {
			Revoked bool `json:"revoked"`
		}{true})
	})
}
