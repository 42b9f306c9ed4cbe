package httpapi

import (
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"unicode/utf8"

	"github.com/sipsim/sipsim"
	"github.com/sipsim/sipsim/wire"
)

// Limits and defaults of the Tag object.
const (
	maxTagName      = 64
	defaultTagColor = "#808080"
	tagNotFound     = "Tag not found"
)

var tagColor = regexp.MustCompile(`^#[0-9a-fA-F]{6}$`)

// tagReadOnly are the Tag members the server computes.
var tagReadOnly = []string{"id", "created_at", "updated_at"}

// deletedResource answers a DELETE.
type deletedResource struct {
	ID      int64 `json:"id"`
	Deleted bool  `json:"deleted"`
}

// handleListTags lists the account's tags by name.
func handleListTags(cfg Config) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, err := queryParams(r); err != nil {
			writeError(w, r, cfg, err)
			return
		}
		tags, err := cfg.Tags.Tags(r.Context(), tokenFrom(r.Context()).AccountID)
		if err != nil {
			writeError(w, r, cfg, err)
			return
		}
		out := make([]wire.Tag, 0, len(tags))
		for _, t := range tags {
			out = append(out, wire.NewTag(t))
		}
		writeData(w, r, cfg, http.StatusOK, out)
	})
}

// handleGetTag returns one tag.
func handleGetTag(cfg Config) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id, err := resourceID(r)
		if err != nil {
			writeError(w, r, cfg, err)
			return
		}
		t, err := cfg.Tags.Tag(r.Context(), tokenFrom(r.Context()).AccountID, id)
		if err != nil {
			writeError(w, r, cfg, notFoundAs(err, tagNotFound))
			return
		}
		writeData(w, r, cfg, http.StatusOK, wire.NewTag(t))
	})
}

// handleCreateTag adds a tag; names are unique in the account.
func handleCreateTag(cfg Config) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, err := queryParams(r); err != nil {
			writeError(w, r, cfg, err)
			return
		}
		o, err := readObject(w, r)
		if err != nil {
			writeError(w, r, cfg, err)
			return
		}
		t := &sipsim.Tag{AccountID: tokenFrom(r.Context()).AccountID, Color: defaultTagColor}
		o.require("name")
		if err := applyTag(o, t); err != nil {
			writeError(w, r, cfg, err)
			return
		}
		if err := cfg.Tags.CreateTag(r.Context(), t); err != nil {
			writeError(w, r, cfg, tagConflict(err, t.Name))
			return
		}
		w.Header().Set("Location", fmt.Sprintf("/api/v2/tags/%d", t.ID))
		writeData(w, r, cfg, http.StatusCreated, wire.NewTag(t))
	})
}

// handleUpdateTag renames or recolours a tag.
func handleUpdateTag(cfg Config) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id, err := resourceID(r)
		if err != nil {
			writeError(w, r, cfg, err)
			return
		}
		o, err := readObject(w, r)
		if err != nil {
			writeError(w, r, cfg, err)
			return
		}
		t, err := cfg.Tags.Tag(r.Context(), tokenFrom(r.Context()).AccountID, id)
		if err != nil {
			writeError(w, r, cfg, notFoundAs(err, tagNotFound))
			return
		}
		if err := applyTag(o, t); err != nil {
			writeError(w, r, cfg, err)
			return
		}
		if !o.empty() {
			if err := cfg.Tags.UpdateTag(r.Context(), t); err != nil {
				writeError(w, r, cfg, tagConflict(notFoundAs(err, tagNotFound), t.Name))
				return
			}
		}
		writeData(w, r, cfg, http.StatusOK, wire.NewTag(t))
	})
}

// handleDeleteTag removes a tag from the account and from its calls.
func handleDeleteTag(cfg Config) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id, err := resourceID(r)
		if err != nil {
			writeError(w, r, cfg, err)
			return
		}
		if err := cfg.Tags.DeleteTag(r.Context(), tokenFrom(r.Context()).AccountID, id); err != nil {
			writeError(w, r, cfg, notFoundAs(err, tagNotFound))
			return
		}
		writeData(w, r, cfg, http.StatusOK, deletedResource{ID: id, Deleted: true})
	})
}

// applyTag writes the members of a body onto t and checks the result.
func applyTag(o *object, t *sipsim.Tag) error {
	o.readOnly(tagReadOnly...)
	if o.Str("name", &t.Name) {
		t.Name = strings.TrimSpace(t.Name)
	}
	o.Str("color", &t.Color)
	if err := o.finish(); err != nil {
		return err
	}
	var problems []string
	if n := utf8.RuneCountInString(t.Name); n == 0 || n > maxTagName {
		problems = append(problems, fmt.Sprintf("name must be 1 to %d characters", maxTagName))
	}
	if !tagColor.MatchString(t.Color) {
		problems = append(problems, `color must be a hex color "#rrggbb", e.g. "#ff8800"`)
	}
	if len(problems) > 0 {
		return badRequest(problems...)
	}
	t.Color = strings.ToLower(t.Color)
	return nil
}

// tagConflict words a duplicate name as the API documents it.
func tagConflict(err error, name string) error {
	if sipsim.ErrorCode(err) == sipsim.ECONFLICT {
		return sipsim.Errorf(sipsim.ECONFLICT, "A tag named %s already exists", name)
	}
	return err
}
