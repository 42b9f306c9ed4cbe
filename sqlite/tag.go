package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/sipsim/sipsim"
)

const tagSelect = "SELECT id, account_id, name, color, created_at, updated_at FROM tags "

func scanTag(row scanner) (*sipsim.Tag, error) {
	var t sipsim.Tag
	err := row.Scan(&t.ID, &t.AccountID, &t.Name, &t.Color, timeCol{&t.CreatedAt}, timeCol{&t.UpdatedAt})
	return &t, err
}

func errTagNotFound() error { return sipsim.Errorf(sipsim.ENOTFOUND, "Tag not found") }

// tagError turns a duplicate name into the user-facing conflict.
func tagError(op string, t *sipsim.Tag, err error) error {
	if violatesUnique(err, "tags.name") {
		return sipsim.Errorf(sipsim.ECONFLICT, "A tag named %s already exists", t.Name)
	}
	return fmt.Errorf("%s: %w", op, err)
}

// CreateTag stores t and sets its ID and timestamps. Names are unique per
// account, compared exactly (case matters).
func (db *DB) CreateTag(ctx context.Context, t *sipsim.Tag) error {
	now := db.stamp()
	err := db.write(ctx, func(tx writeTx) error {
		return tx.QueryRowContext(ctx, `
			INSERT INTO tags (account_id, name, color, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?) RETURNING id`,
			t.AccountID, t.Name, t.Color, encodeTime(now), encodeTime(now)).Scan(&t.ID)
	})
	if err != nil {
		return tagError("create tag", t, err)
	}
	t.CreatedAt, t.UpdatedAt = now, now
	return nil
}

// Tag returns one tag of the account.
func (db *DB) Tag(ctx context.Context, accountID, id int64) (*sipsim.Tag, error) {
	t, err := scanTag(db.keptRow(ctx, tagSelect+"WHERE account_id = ? AND id = ?", accountID, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, errTagNotFound()
	} else if err != nil {
		return nil, unreadable(fmt.Errorf("tag %d: %w", id, err))
	}
	return t, nil
}

// Tags lists the account's tags by name.
func (db *DB) Tags(ctx context.Context, accountID int64) ([]*sipsim.Tag, error) {
	tags, err := queryAll(ctx, keptReader{db}, scanTag, tagSelect+"WHERE account_id = ? ORDER BY name, id", accountID)
	if err != nil {
		return nil, unreadable(fmt.Errorf("tags: %w", err))
	}
	return tags, nil
}

// UpdateTag saves t's name and color and sets t.UpdatedAt; it also sets
// t.CreatedAt to the stored creation time, which it keeps.
func (db *DB) UpdateTag(ctx context.Context, t *sipsim.Tag) error {
	now := db.stamp()
	err := db.write(ctx, func(tx writeTx) error {
		return tx.QueryRowContext(ctx, `
			UPDATE tags SET name = ?, color = ?, updated_at = ?
			WHERE account_id = ? AND id = ? RETURNING created_at`,
			t.Name, t.Color, encodeTime(now), t.AccountID, t.ID).Scan(timeCol{&t.CreatedAt})
	})
	if errors.Is(err, sql.ErrNoRows) {
		return errTagNotFound()
	} else if err != nil {
		return tagError("update tag", t, err)
	}
	t.UpdatedAt = now
	return nil
}

// DeleteTag removes a tag and takes it off every call that carries it.
func (db *DB) DeleteTag(ctx context.Context, accountID, id int64) error {
	err := db.write(ctx, func(tx writeTx) error {
		if err := tagExists(ctx, tx, accountID, id); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM call_tags WHERE tag_id = ?`, id); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `DELETE FROM tags WHERE id = ?`, id)
		return err
	})
	return wrapUnlessCoded("delete tag", err)
}

// TagCall puts a tag on a call; doing it twice changes nothing.
func (db *DB) TagCall(ctx context.Context, accountID int64, callID string, tagID int64) error {
	err := db.write(ctx, func(tx writeTx) error {
		if err := callAndTagExist(ctx, tx, accountID, callID, tagID); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `
			INSERT INTO call_tags (account_id, call_id, tag_id, created_at) VALUES (?, ?, ?, ?)
			ON CONFLICT (call_id, tag_id) DO NOTHING`,
			accountID, callID, tagID, encodeTime(db.stamp()))
		return err
	})
	return wrapUnlessCoded("tag call", err)
}

// UntagCall takes a tag off a call; no error if it was not on it.
func (db *DB) UntagCall(ctx context.Context, accountID int64, callID string, tagID int64) error {
	err := db.write(ctx, func(tx writeTx) error {
		if err := callAndTagExist(ctx, tx, accountID, callID, tagID); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `DELETE FROM call_tags WHERE call_id = ? AND tag_id = ?`, callID, tagID)
		return err
	})
	return wrapUnlessCoded("untag call", err)
}

// callAndTagExist checks that both belong to the account: the call first,
// as the API's path names it first.
func callAndTagExist(ctx context.Context, q querier, accountID int64, callID string, tagID int64) error {
	var found bool
	err := q.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM calls WHERE account_id = ? AND id = ?)`,
		accountID, callID).Scan(&found)
	if err != nil {
		return err
	}
	if !found {
		return errCallNotFound()
	}
	return tagExists(ctx, q, accountID, tagID)
}

func tagExists(ctx context.Context, q querier, accountID, id int64) error {
	var found bool
	err := q.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM tags WHERE account_id = ? AND id = ?)`,
		accountID, id).Scan(&found)
	if err != nil {
		return err
	}
	if !found {
		return errTagNotFound()
	}
	return nil
}

// callTagsQuery reads the tags of the calls whose ids are in the JSON array
// it is given: one text for any number of calls, so that its statement can
// be kept, where an IN list would have one text per number of calls.
const callTagsQuery = `
	SELECT ct.call_id, t.id, t.account_id, t.name, t.color, t.created_at, t.updated_at
	FROM call_tags ct JOIN tags t ON t.id = ct.tag_id
	WHERE ct.call_id IN (SELECT value FROM json_each(?)) ORDER BY t.name, t.id`

// loadCallTags sets the Tags of each call, ordered by name, with one query
// for all of them.
func loadCallTags(ctx context.Context, q rowsQuerier, calls []*sipsim.Call) error {
	if len(calls) == 0 {
		return nil
	}
	byID := make(map[string]*sipsim.Call, len(calls))
	ids := make([]string, 0, len(calls))
	for _, c := range calls {
		c.Tags = nil
		if _, dup := byID[c.ID]; !dup {
			byID[c.ID] = c
			ids = append(ids, c.ID)
		}
	}
	idList, err := json.Marshal(ids)
	if err != nil {
		return fmt.Errorf("call tags: %w", err)
	}
	type callTag struct {
		callID string
		tag    *sipsim.Tag
	}
	rows, err := queryAll(ctx, q, func(row scanner) (callTag, error) {
		var (
			ct callTag
			t  sipsim.Tag
		)
		err := row.Scan(&ct.callID, &t.ID, &t.AccountID, &t.Name, &t.Color, timeCol{&t.CreatedAt}, timeCol{&t.UpdatedAt})
		ct.tag = &t
		return ct, err
	}, callTagsQuery, string(idList))
	if err != nil {
		return fmt.Errorf("call tags: %w", err)
	}
	for _, r := range rows {
		c := byID[r.callID]
		c.Tags = append(c.Tags, *r.tag)
	}
	return nil
}

// wrapUnlessCoded passes a *sipsim.Error through and wraps anything else
// with op.
func wrapUnlessCoded(op string, err error) error {
	if err == nil || sipsim.ErrorCode(err) != sipsim.EINTERNAL {
		return err
	}
	return fmt.Errorf("%s: %w", op, err)
}
