package client

import (
	"context"
	"net/http"
)

const tagsPath = "/api/v2/tags"

// TagParams is the body of CreateTag and UpdateTag; empty fields are not
// sent (CreateTag's default color is #808080).
type TagParams struct {
	Name  string `json:"name,omitempty"`  // 1–64 characters, unique in the account
	Color string `json:"color,omitempty"` // "#rrggbb"
}

// ListTags lists the account's tags by name (calls.read).
func (c *Client) ListTags(ctx context.Context) ([]*Tag, error) {
	var out []*Tag
	_, err := c.do(ctx, request{method: http.MethodGet, path: tagsPath}, &out)
	return out, err
}

// GetTag returns one tag (calls.read).
func (c *Client) GetTag(ctx context.Context, id int64) (*Tag, error) {
	var out Tag
	if _, err := c.do(ctx, request{method: http.MethodGet, path: idPath(tagsPath, id)}, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// CreateTag adds a tag (calls.write); IsConflict when the name is taken.
func (c *Client) CreateTag(ctx context.Context, p TagParams) (*Tag, error) {
	var out Tag
	if _, err := c.do(ctx, request{method: http.MethodPost, path: tagsPath, body: p}, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// UpdateTag renames or recolors a tag (calls.write).
func (c *Client) UpdateTag(ctx context.Context, id int64, p TagParams) (*Tag, error) {
	var out Tag
	if _, err := c.do(ctx, request{method: http.MethodPatch, path: idPath(tagsPath, id), body: p}, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// DeleteTag removes a tag from the account and its calls (calls.write).
func (c *Client) DeleteTag(ctx context.Context, id int64) error {
	_, err := c.do(ctx, request{method: http.MethodDelete, path: idPath(tagsPath, id)}, nil)
	return err
}
