package httpapi

import (
	"context"
	"net/http"
	"strconv"
	"strings"

	"github.com/sipsim/sipsim"
)

// handleTagCall puts a tag on a call, named by id ({"tag_id": 3}) or by
// name ({"name": "lead"}), and answers with the call.
func handleTagCall(cfg Config) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ref, err := decodeTagRef(w, r)
		if err != nil {
			writeError(w, r, cfg, err)
			return
		}
		accountID, callID := tokenFrom(r.Context()).AccountID, r.PathValue("id")
		if _, err := cfg.Calls.Call(r.Context(), accountID, callID); err != nil {
			writeError(w, r, cfg, notFoundAs(err, callNotFound))
			return
		}
		tag, err := findTag(r.Context(), cfg, accountID, ref)
		if err != nil {
			writeError(w, r, cfg, notFoundAs(err, tagNotFound))
			return
		}
		if err := cfg.Tags.TagCall(r.Context(), accountID, callID, tag.ID); err != nil {
			writeError(w, r, cfg, notFoundAs(err, callNotFound))
			return
		}
		writeCall(w, r, cfg, http.StatusOK, accountID, callID)
	})
}

// handleUntagCall takes a tag off a call and answers with the call.
func handleUntagCall(cfg Config) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, err := queryParams(r); err != nil {
			writeError(w, r, cfg, err)
			return
		}
		tagID, err := strconv.ParseInt(r.PathValue("tag_id"), 10, 64)
		if err != nil || tagID <= 0 {
			writeError(w, r, cfg, badRequest("tag_id must be a positive integer"))
			return
		}
		accountID, callID := tokenFrom(r.Context()).AccountID, r.PathValue("id")
		if _, err := cfg.Calls.Call(r.Context(), accountID, callID); err != nil {
			writeError(w, r, cfg, notFoundAs(err, callNotFound))
			return
		}
		if _, err := cfg.Tags.Tag(r.Context(), accountID, tagID); err != nil {
			writeError(w, r, cfg, notFoundAs(err, tagNotFound))
			return
		}
		if err := cfg.Tags.UntagCall(r.Context(), accountID, callID, tagID); err != nil {
			writeError(w, r, cfg, notFoundAs(err, callNotFound))
			return
		}
		writeCall(w, r, cfg, http.StatusOK, accountID, callID)
	})
}

// writeCall answers with a call as it now stands.
func writeCall(w http.ResponseWriter, r *http.Request, cfg Config, status int, accountID int64, callID string) {
	v, err := loadCall(r.Context(), cfg, accountID, callID)
	if err != nil {
		writeError(w, r, cfg, notFoundAs(err, callNotFound))
		return
	}
	writeData(w, r, cfg, status, v)
}

// tagRef names a tag by id or by name.
type tagRef struct {
	id   int64
	name string
}

// decodeTagRef reads {"tag_id": integer} or {"name": string}: exactly one.
func decodeTagRef(w http.ResponseWriter, r *http.Request) (tagRef, error) {
	var ref tagRef
	if _, err := queryParams(r); err != nil {
		return ref, err
	}
	o, err := readObject(w, r)
	if err != nil {
		return ref, err
	}
	byID := o.Int("tag_id", &ref.id)
	byName := o.Str("name", &ref.name)
	if err := o.finish(); err != nil {
		return ref, err
	}
	ref.name = strings.TrimSpace(ref.name)
	switch {
	case byID && byName:
		return ref, badRequest("give tag_id or name, not both")
	case byID && ref.id <= 0:
		return ref, badRequest("tag_id must be a positive integer")
	case byName && ref.name == "":
		return ref, badRequest("name must not be empty")
	case !byID && !byName:
		return ref, badRequest("tag_id or name is required")
	}
	return ref, nil
}

// findTag looks a tag up by id or by name. Accounts have tens of tags, so
// finding a name in the list costs less than another store method.
func findTag(ctx context.Context, cfg Config, accountID int64, ref tagRef) (*sipsim.Tag, error) {
	if ref.id != 0 {
		return cfg.Tags.Tag(ctx, accountID, ref.id)
	}
	tags, err := cfg.Tags.Tags(ctx, accountID)
	if err != nil {
		return nil, err
	}
	for _, t := range tags {
		if t.Name == ref.name {
			return t, nil
		}
	}
	return nil, sipsim.Errorf(sipsim.ENOTFOUND, "%s", tagNotFound)
}
