package httpapi

import (
	_ "embed"
	"net/http"
)

// openAPIDocument describes every route of routes.go; openapi_test.go keeps
// the two in step.
//
//go:embed openapi.json
var openAPIDocument []byte

// handleOpenAPI serves the document as is: it is the contract, not data,
// so it is not wrapped in the envelope.
func handleOpenAPI(Config) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Cache-Control", "public, max-age=300")
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write(openAPIDocument)
	})
}
