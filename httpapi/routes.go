package httpapi

import (
	"net/http"

	"github.com/sipsim/sipsim"
)

// route is one line of the API. The OpenAPI test reads this same table, so
// a route cannot exist without its documentation, nor with another scope.
type route struct {
	Method  string
	Pattern string       // http.ServeMux pattern; also the OpenAPI path
	Scope   sipsim.Scope // required token scope; "" for a public route
	Handler func(Config) http.Handler
}

// routes lists every route of the API.
func routes() []route {
	return []route{
		{http.MethodGet, "/healthz", "", handleHealth},
		{http.MethodGet, "/api/v2/openapi.json", "", handleOpenAPI},

		{http.MethodGet, "/api/v2/phones", sipsim.ScopePhonesRead, handleListPhones},
		{http.MethodPost, "/api/v2/phones", sipsim.ScopePhonesWrite, handleCreatePhone},
		{http.MethodGet, "/api/v2/phones/{id}", sipsim.ScopePhonesRead, handleGetPhone},
		{http.MethodPatch, "/api/v2/phones/{id}", sipsim.ScopePhonesWrite, handleUpdatePhone},
		{http.MethodDelete, "/api/v2/phones/{id}", sipsim.ScopePhonesWrite, handleDeletePhone},

		{http.MethodPost, "/api/v2/calls", sipsim.ScopeCallsCreate, handleCreateCall},
		{http.MethodGet, "/api/v2/calls/{id}", sipsim.ScopeCallsRead, handleGetCall},
	}
}
