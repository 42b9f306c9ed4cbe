package httpapi

import (
	"context"
	"fmt"
	"net/http"
	"strings"

	"github.com/sipsim/sipsim"
)

type tokenKey struct{}

// tokenFrom returns the token requireScope authenticated. Handlers behind
// requireScope can rely on it being there.
func tokenFrom(ctx context.Context) *sipsim.Token {
	t, _ := ctx.Value(tokenKey{}).(*sipsim.Token)
	return t
}

// requireScope authenticates the bearer token of the request and lets it
// through to next only if the token carries scope. Missing, malformed and
// unknown tokens are all the same 401: telling them apart would help
// someone guessing tokens, not the user.
//
// A route that serves a kept list (list not "") reads the token and the
// list's version together, and passes the version on in the context
// (see list_cache.go).
func requireScope(cfg Config, scope sipsim.Scope, list sipsim.List, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		secret, ok := bearerSecret(r.Header.Get("Authorization"))
		if !ok {
			unauthorized(w, r, cfg, `Bearer realm="sipsim"`)
			return
		}
		var (
			tok     *sipsim.Token
			version int64
			err     error
		)
		if list == "" {
			tok, err = cfg.Tokens.TokenByHash(r.Context(), sipsim.HashToken(secret))
		} else {
			tok, version, err = cfg.ListVersions.TokenAndListVersion(r.Context(), sipsim.HashToken(secret), list)
		}
		if sipsim.ErrorCode(err) == sipsim.ENOTFOUND {
			unauthorized(w, r, cfg, `Bearer realm="sipsim", error="invalid_token"`)
			return
		}
		if err != nil {
			writeError(w, r, cfg, err)
			return
		}
		if !tok.Has(scope) {
			// RFC 6750 section 3.1 names the missing scope in the header too.
			w.Header().Set("WWW-Authenticate",
				fmt.Sprintf(`Bearer realm="sipsim", error="insufficient_scope", scope=%q`, scope))
			writeError(w, r, cfg, sipsim.Errorf(sipsim.EFORBIDDEN, "This token lacks the %s scope", scope))
			return
		}
		ctx := context.WithValue(r.Context(), tokenKey{}, tok)
		if list != "" {
			ctx = context.WithValue(ctx, listVersionKey{}, version)
		}
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

func unauthorized(w http.ResponseWriter, r *http.Request, cfg Config, challenge string) {
	w.Header().Set("WWW-Authenticate", challenge)
	writeError(w, r, cfg, sipsim.Errorf(sipsim.EUNAUTHORIZED, "Missing or invalid access token"))
}

// bearerSecret extracts the token of an "Authorization: Bearer <token>"
// header. The scheme is case-insensitive (RFC 9110 section 11.1).
func bearerSecret(header string) (string, bool) {
	scheme, secret, ok := strings.Cut(strings.TrimSpace(header), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	secret = strings.TrimSpace(secret)
	if secret == "" || strings.ContainsAny(secret, " \t") {
		return "", false
	}
	return secret, true
}
