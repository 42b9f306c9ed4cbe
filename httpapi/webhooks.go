package httpapi

import (
	"fmt"
	"net/http"
	"net/netip"
	"net/url"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/sipsim/sipsim"
	"github.com/sipsim/sipsim/wire"
)

// Limits of the Webhook object.
const (
	maxWebhookURL         = 2048
	maxWebhookDescription = 1024
	webhookNotFound       = "Webhook not found"
	defaultDeliveryPage   = 25
	maxDeliveryPage       = 100
)

// eventTypes lists the event types webhooks can subscribe to, in the order
// a call emits them.
var eventTypes = []string{
	sipsim.EventCallCreated, sipsim.EventCallRingingAgent, sipsim.EventCallAgentForwarded, sipsim.EventCallAgentAnswered,
	sipsim.EventCallTargetRinging, sipsim.EventCallAnswered, sipsim.EventCallEnded, sipsim.EventRecordingReady,
}

// handleCreateWebhook registers an endpoint. Its signing secret is in this
// response only.
func handleCreateWebhook(cfg Config) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		wh, err := decodeWebhook(cfg, w, r)
		if err != nil {
			writeError(w, r, cfg, err)
			return
		}
		wh.Secret = cfg.NewWebhookSecret()
		if err := cfg.Webhooks.CreateWebhook(r.Context(), wh); err != nil {
			writeError(w, r, cfg, err)
			return
		}
		v := wire.NewWebhook(wh)
		v.Secret = wh.Secret
		w.Header().Set("Location", fmt.Sprintf("/api/v2/webhooks/%d", wh.ID))
		writeData(w, r, cfg, http.StatusCreated, v)
	})
}

// decodeWebhook reads {url, event_types, description}.
func decodeWebhook(cfg Config, w http.ResponseWriter, r *http.Request) (*sipsim.Webhook, error) {
	if _, err := queryParams(r); err != nil {
		return nil, err
	}
	o, err := readObject(w, r)
	if err != nil {
		return nil, err
	}
	wh := &sipsim.Webhook{AccountID: tokenFrom(r.Context()).AccountID}
	o.readOnly("id", "created_at", "secret")
	o.require("url")
	o.Str("url", &wh.URL)
	var types []string
	o.StrList("event_types", &types)
	o.Str("description", &wh.Description)
	if err := o.finish(); err != nil {
		return nil, err
	}
	var problems []string
	if !webhookURL(wh.URL) {
		problems = append(problems, fmt.Sprintf("url must be an absolute http or https URL of at most %d characters", maxWebhookURL))
	} else if why := internalHost(cfg, wh.URL); why != "" {
		problems = append(problems, "url must not point to a private, loopback or link-local address: "+why)
	}
	for i, t := range types {
		if !slices.Contains(eventTypes, t) {
			problems = append(problems, fmt.Sprintf("event_types[%d] must be one of %s", i, strings.Join(eventTypes, ", ")))
		} else if !slices.Contains(wh.EventTypes, t) {
			wh.EventTypes = append(wh.EventTypes, t)
		}
	}
	if utf8.RuneCountInString(wh.Description) > maxWebhookDescription {
		problems = append(problems, fmt.Sprintf("description must be at most %d characters", maxWebhookDescription))
	}
	if len(problems) > 0 {
		return nil, badRequest(problems...)
	}
	return wh, nil
}

// webhookURL reports whether s is a URL deliveries can be posted to.
func webhookURL(s string) bool {
	if len(s) > maxWebhookURL {
		return false
	}
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != "" && u.Hostname() != ""
}

// internalHost says why deliveries to rawURL, a valid webhook URL, would
// be refused, or returns "". Only what the URL itself shows is judged: an
// IP literal, or a localhost name (RFC 6761: always loopback). Other names
// are not resolved here, as what they resolve to can change after
// registration; the dispatcher checks the address it dials instead.
func internalHost(cfg Config, rawURL string) string {
	if cfg.CheckWebhookAddress == nil {
		return ""
	}
	u, _ := url.Parse(rawURL) // webhookURL parsed it
	host := strings.ToLower(strings.TrimSuffix(u.Hostname(), "."))
	if host == "localhost" || strings.HasSuffix(host, ".localhost") {
		// Such a name may resolve to either loopback address; one
		// allowed is enough to reach the receiver.
		if cfg.CheckWebhookAddress(netip.IPv6Loopback()) == nil || cfg.CheckWebhookAddress(netip.MustParseAddr("127.0.0.1")) == nil {
			return ""
		}
		return host + " is a loopback name"
	}
	addr, err := netip.ParseAddr(host)
	if err != nil {
		return ""
	}
	if err := cfg.CheckWebhookAddress(addr); err != nil {
		return err.Error()
	}
	return ""
}

// handleListWebhooks lists the account's webhooks, without secrets.
func handleListWebhooks(cfg Config) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, err := queryParams(r); err != nil {
			writeError(w, r, cfg, err)
			return
		}
		hooks, err := cfg.Webhooks.Webhooks(r.Context(), tokenFrom(r.Context()).AccountID)
		if err != nil {
			writeError(w, r, cfg, err)
			return
		}
		out := make([]wire.Webhook, 0, len(hooks))
		for _, wh := range hooks {
			out = append(out, wire.NewWebhook(wh))
		}
		writeData(w, r, cfg, http.StatusOK, out)
	})
}

// handleGetWebhook returns one webhook, without its secret.
func handleGetWebhook(cfg Config) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id, err := resourceID(r)
		if err != nil {
			writeError(w, r, cfg, err)
			return
		}
		wh, err := cfg.Webhooks.Webhook(r.Context(), tokenFrom(r.Context()).AccountID, id)
		if err != nil {
			writeError(w, r, cfg, notFoundAs(err, webhookNotFound))
			return
		}
		writeData(w, r, cfg, http.StatusOK, wire.NewWebhook(wh))
	})
}

// handleDeleteWebhook removes a webhook; its pending deliveries go with it.
func handleDeleteWebhook(cfg Config) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id, err := resourceID(r)
		if err != nil {
			writeError(w, r, cfg, err)
			return
		}
		if err := cfg.Webhooks.DeleteWebhook(r.Context(), tokenFrom(r.Context()).AccountID, id); err != nil {
			writeError(w, r, cfg, notFoundAs(err, webhookNotFound))
			return
		}
		writeData(w, r, cfg, http.StatusOK, deletedResource{ID: id, Deleted: true})
	})
}

// handleListDeliveries shows a webhook's newest deliveries with every
// attempt and what the endpoint answered: the first place to look when a
// receiver says it got nothing.
func handleListDeliveries(cfg Config) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		q, err := queryParams(r, "limit")
		if err != nil {
			writeError(w, r, cfg, err)
			return
		}
		id, err := pathID(r)
		if err != nil {
			writeError(w, r, cfg, err)
			return
		}
		limit, err := limitParam(q, defaultDeliveryPage, maxDeliveryPage)
		if err != nil {
			writeError(w, r, cfg, err)
			return
		}
		ds, err := cfg.Webhooks.WebhookDeliveries(r.Context(), tokenFrom(r.Context()).AccountID, id, limit)
		if err != nil {
			writeError(w, r, cfg, notFoundAs(err, webhookNotFound))
			return
		}
		out := make([]wire.Delivery, 0, len(ds))
		for _, d := range ds {
			out = append(out, wire.NewDelivery(d))
		}
		writeData(w, r, cfg, http.StatusOK, out)
	})
}
