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
		{http.MethodPost, "/oauth/token", "", handleOAuthToken},
		{http.MethodPost, "/oauth/revoke", "", handleOAuthRevoke},

		{http.MethodGet, "/api/v2/phones", sipsim.ScopePhonesRead, handleListPhones},
		{http.MethodPost, "/api/v2/phones", sipsim.ScopePhonesWrite, handleCreatePhone},
		{http.MethodGet, "/api/v2/phones/{id}", sipsim.ScopePhonesRead, handleGetPhone},
		{http.MethodPatch, "/api/v2/phones/{id}", sipsim.ScopePhonesWrite, handleUpdatePhone},
		{http.MethodDelete, "/api/v2/phones/{id}", sipsim.ScopePhonesWrite, handleDeletePhone},

		{http.MethodGet, "/api/v2/audio-files", sipsim.ScopePhonesRead, handleListAudioFiles},
		{http.MethodPost, "/api/v2/audio-files", sipsim.ScopePhonesWrite, handleCreateAudioFile},
		{http.MethodGet, "/api/v2/audio-files/{id}", sipsim.ScopePhonesRead, handleGetAudioFile},
		{http.MethodGet, "/api/v2/audio-files/{id}/content", sipsim.ScopePhonesRead, handleAudioFileContent},
		{http.MethodDelete, "/api/v2/audio-files/{id}", sipsim.ScopePhonesWrite, handleDeleteAudioFile},

		{http.MethodGet, "/api/v2/calls", sipsim.ScopeCallsRead, handleListCalls},
		{http.MethodPost, "/api/v2/calls", sipsim.ScopeCallsCreate, idempotentCreateCall},
		{http.MethodGet, "/api/v2/calls/{id}", sipsim.ScopeCallsRead, handleGetCall},
		{http.MethodDelete, "/api/v2/calls/{id}", sipsim.ScopeCallsWrite, handleCancelCall},
		{http.MethodPost, "/api/v2/calls/{id}/hangup", sipsim.ScopeCallsWrite, handleCancelCall},
		{http.MethodGet, "/api/v2/calls/{id}/events", sipsim.ScopeCallsRead, handleCallEvents},
		{http.MethodGet, "/api/v2/calls/{id}/recording", sipsim.ScopeCallsRead, handleGetRecording},
		{http.MethodDelete, "/api/v2/calls/{id}/recording", sipsim.ScopeCallsWrite, handleDeleteRecording},
		{http.MethodPost, "/api/v2/calls/{id}/tags", sipsim.ScopeCallsWrite, handleTagCall},
		{http.MethodDelete, "/api/v2/calls/{id}/tags/{tag_id}", sipsim.ScopeCallsWrite, handleUntagCall},
		{http.MethodGet, "/api/v2/events", sipsim.ScopeCallsRead, handleAccountEvents},

		{http.MethodGet, "/api/v2/tags", sipsim.ScopeCallsRead, handleListTags},
		{http.MethodPost, "/api/v2/tags", sipsim.ScopeCallsWrite, handleCreateTag},
		{http.MethodGet, "/api/v2/tags/{id}", sipsim.ScopeCallsRead, handleGetTag},
		{http.MethodPatch, "/api/v2/tags/{id}", sipsim.ScopeCallsWrite, handleUpdateTag},
		{http.MethodDelete, "/api/v2/tags/{id}", sipsim.ScopeCallsWrite, handleDeleteTag},

		{http.MethodGet, "/api/v2/webhooks", sipsim.ScopeWebhooksRead, handleListWebhooks},
		{http.MethodPost, "/api/v2/webhooks", sipsim.ScopeWebhooksWrite, handleCreateWebhook},
		{http.MethodGet, "/api/v2/webhooks/{id}", sipsim.ScopeWebhooksRead, handleGetWebhook},
		{http.MethodDelete, "/api/v2/webhooks/{id}", sipsim.ScopeWebhooksWrite, handleDeleteWebhook},
		{http.MethodGet, "/api/v2/webhooks/{id}/deliveries", sipsim.ScopeWebhooksRead, handleListDeliveries},

		{http.MethodGet, "/api/v2/accounts", sipsim.ScopeAccountsAdmin, handleListAccounts},
		{http.MethodPost, "/api/v2/accounts", sipsim.ScopeAccountsAdmin, handleCreateAccount},
		{http.MethodGet, "/api/v2/accounts/{id}", sipsim.ScopeAccountsAdmin, handleGetAccount},
		{http.MethodPatch, "/api/v2/accounts/{id}", sipsim.ScopeAccountsAdmin, handleUpdateAccount},
	}
}

// idempotentCreateCall is POST /api/v2/calls with Idempotency-Key support:
// a retried click-to-call must never ring twice.
func idempotentCreateCall(cfg Config) http.Handler {
	return idempotent(cfg, handleCreateCall(cfg))
}
