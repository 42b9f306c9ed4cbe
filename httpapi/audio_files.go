package httpapi

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"mime"
	"mime/multipart"
	"net/http"
	"path"
	"strings"
	"unicode/utf8"

	"github.com/sipsim/sipsim"
	"github.com/sipsim/sipsim/audio"
	"github.com/sipsim/sipsim/wire"
)

// Limits of audio uploads. Prompts are short: 10 MiB is about a minute of
// CD-quality WAV or several minutes of MP3.
const (
	maxAudioUpload    = 10 << 20
	maxAudioFileName  = 255
	audioFileNotFound = "Audio file not found"
)

// maxAudioBody leaves room for the multipart framing and the name field.
const maxAudioBody = maxAudioUpload + 64<<10

func errAudioTooLarge() error {
	return &httpError{
		status:   http.StatusRequestEntityTooLarge,
		messages: []string{fmt.Sprintf("file must not exceed %d bytes", maxAudioUpload)},
	}
}

// handleListAudioFiles lists the account's audio files by id.
func handleListAudioFiles(cfg Config) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, err := queryParams(r); err != nil {
			writeError(w, r, cfg, err)
			return
		}
		files, err := cfg.AudioFiles.AudioFiles(r.Context(), tokenFrom(r.Context()).AccountID)
		if err != nil {
			writeError(w, r, cfg, err)
			return
		}
		out := make([]wire.AudioFile, 0, len(files))
		for _, f := range files {
			out = append(out, wire.NewAudioFile(f))
		}
		writeData(w, r, cfg, http.StatusOK, out)
	})
}

// handleGetAudioFile returns one audio file's metadata.
func handleGetAudioFile(cfg Config) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id, err := resourceID(r)
		if err != nil {
			writeError(w, r, cfg, err)
			return
		}
		f, err := cfg.AudioFiles.AudioFile(r.Context(), tokenFrom(r.Context()).AccountID, id)
		if err != nil {
			writeError(w, r, cfg, notFoundAs(err, audioFileNotFound))
			return
		}
		writeData(w, r, cfg, http.StatusOK, wire.NewAudioFile(f))
	})
}

// handleAudioFileContent serves the converted WAV. http.ServeContent
// answers Range and conditional requests.
func handleAudioFileContent(cfg Config) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id, err := resourceID(r)
		if err != nil {
			writeError(w, r, cfg, err)
			return
		}
		f, data, err := cfg.AudioFiles.AudioFileData(r.Context(), tokenFrom(r.Context()).AccountID, id)
		if err != nil {
			writeError(w, r, cfg, notFoundAs(err, audioFileNotFound))
			return
		}
		w.Header().Set("Content-Type", f.ContentType)
		w.Header().Set("Cache-Control", "private, no-cache")
		http.ServeContent(w, r, "", f.CreatedAt, bytes.NewReader(data))
	})
}

// handleCreateAudioFile takes a multipart upload, converts it and stores
// the result.
func handleCreateAudioFile(cfg Config) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, err := queryParams(r); err != nil {
			writeError(w, r, cfg, err)
			return
		}
		up, err := readUpload(w, r)
		if err != nil {
			writeError(w, r, cfg, err)
			return
		}
		c, err := audio.Convert(up.data)
		if err != nil {
			writeError(w, r, cfg, err)
			return
		}
		f := &sipsim.AudioFile{
			AccountID:       tokenFrom(r.Context()).AccountID,
			Name:            up.name,
			ContentType:     sipsim.AudioFileContentType,
			DurationSeconds: math.Round(c.DurationSeconds*1000) / 1000,
		}
		if err := cfg.AudioFiles.CreateAudioFile(r.Context(), f, c.WAV); err != nil {
			writeError(w, r, cfg, err)
			return
		}
		w.Header().Set("Location", fmt.Sprintf("/api/v2/audio-files/%d", f.ID))
		writeData(w, r, cfg, http.StatusCreated, wire.NewAudioFile(f))
	})
}

// handleDeleteAudioFile removes a file no phone uses.
func handleDeleteAudioFile(cfg Config) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id, err := resourceID(r)
		if err != nil {
			writeError(w, r, cfg, err)
			return
		}
		if err := cfg.AudioFiles.DeleteAudioFile(r.Context(), tokenFrom(r.Context()).AccountID, id); err != nil {
			writeError(w, r, cfg, notFoundAs(err, audioFileNotFound))
			return
		}
		writeData(w, r, cfg, http.StatusOK, deletedResource{ID: id, Deleted: true})
	})
}

// upload is a parsed POST /api/v2/audio-files body.
type upload struct {
	name string
	data []byte
}

var errNotMultipart = badRequest("request body must be multipart/form-data with a file field")

// readUpload reads the multipart form: one "file" part and an optional
// "name"; any other field is an error, as unknown JSON members are.
func readUpload(w http.ResponseWriter, r *http.Request) (*upload, error) {
	mt, params, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mt != "multipart/form-data" || params["boundary"] == "" {
		return nil, errNotMultipart
	}
	mr := multipart.NewReader(http.MaxBytesReader(w, r.Body, maxAudioBody), params["boundary"])
	var (
		up       upload
		fileName string
		haveFile bool
		haveName bool
	)
	for {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, uploadReadError(err)
		}
		switch field := part.FormName(); field {
		case "file":
			if haveFile {
				return nil, badRequest("file must be given once")
			}
			haveFile = true
			fileName = path.Base(strings.ReplaceAll(part.FileName(), `\`, "/"))
			if up.data, err = io.ReadAll(io.LimitReader(part, maxAudioUpload+1)); err != nil {
				return nil, uploadReadError(err)
			}
			if len(up.data) > maxAudioUpload {
				return nil, errAudioTooLarge()
			}
		case "name":
			if haveName {
				return nil, badRequest("name must be given once")
			}
			haveName = true
			b, err := io.ReadAll(io.LimitReader(part, 4*maxAudioFileName+1))
			if err != nil {
				return nil, uploadReadError(err)
			}
			up.name = string(b)
		default:
			return nil, badRequest(fmt.Sprintf("unknown form field %q", field))
		}
	}
	if !haveFile {
		return nil, badRequest("file is required")
	}
	if !haveName {
		up.name = fileName
		if up.name == "." || up.name == "/" {
			up.name = ""
		}
	}
	up.name = strings.TrimSpace(up.name)
	switch {
	case up.name == "":
		return nil, badRequest("name must not be empty (give a name field or a file name)")
	case !utf8.ValidString(up.name) || utf8.RuneCountInString(up.name) > maxAudioFileName:
		return nil, badRequest(fmt.Sprintf("name must be valid UTF-8 of at most %d characters", maxAudioFileName))
	}
	return &up, nil
}

// uploadReadError tells an oversized or late body from a malformed one.
func uploadReadError(err error) error {
	return bodyReadError(err, errAudioTooLarge(), errNotMultipart)
}

// checkAudioFiles checks that every audio file p's settings name exists in
// the account. Only settings that differ from stored (nil for a new phone)
// are checked, so that a phone saved before files were checked can still be
// edited.
func checkAudioFiles(ctx context.Context, cfg Config, p, stored *sipsim.Phone) error {
	var was []sipsim.AudioFileRef
	if stored != nil {
		was = stored.AudioFileRefs()
	}
	var problems []string
	for i, ref := range p.AudioFileRefs() {
		if ref.ID == nil || (was != nil && was[i].ID != nil && *was[i].ID == *ref.ID) {
			continue
		}
		_, err := cfg.AudioFiles.AudioFile(ctx, p.AccountID, *ref.ID)
		switch {
		case sipsim.ErrorCode(err) == sipsim.ENOTFOUND:
			problems = append(problems, fmt.Sprintf("%s: audio file %d not found", ref.Field, *ref.ID))
		case err != nil:
			return err
		}
	}
	if len(problems) > 0 {
		return badRequest(problems...)
	}
	return nil
}
