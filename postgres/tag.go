package postgres

import (
	"context"
	"errors"

	"github.com/jackc/pgx/v5"

	"github.com/sipsim/sipsim"
)

const tagSelect = "SELECT id, account_id, name, color, created_at, updated_at FROM tags "

func scanTag(row pgx.Row) (*sipsim.Tag, error) {
	var t sipsim.Tag
	err := row.Scan(&t.ID, &t.AccountID, &t.Name, &t.Color, &t.CreatedAt, &t.UpdatedAt)
	return &t, err
}

func errTagNotFound() error { return sipsim.Errorf(sipsim.ENOTFOUND, "Tag not found") }

// tagError turns a duplicate name into the user-facing conflict.
func tagError(op string, t *sipsim.Tag, err error) error {
	if violatesUnique(err, "tags_name_unique") {
		return sipsim.Errorf(sipsim.ECONFLICT, "A tag named %s already exists", t.Name)
	}
	return wrap(op, err)
}

// CreateTag stores t and sets its ID and timestamps. Names are unique per
// account, compared exactly (case matters).
func (db *DB) CreateTag(ctx context.Context, t *sipsim.Tag) error {
	now := db.stamp()
	err := db.pool.QueryRow(ctx, `
		INSERT INTO tags (account_id, name, color, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $4) RETURNING id`,
		t.AccountID, t.Name, t.Color, now).Scan(&t.ID)
	if err != nil {
		return tagError("create tag", t, err)
	}
	t.CreatedAt, t.UpdatedAt = now, now
	return nil
}

// Tag returns one tag of the account.
func (db *DB) Tag(ctx context.Context, accountID, id int64) (*sipsim.Tag, error) {
	t, err := scanTag(db.pool.QueryRow(ctx, tagSelect+"WHERE account_id = $1 AND id = $2", accountID, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, errTagNotFound()
	} else if err != nil {
		return nil, wrap("tag", err)
	}
	return t, nil
}

// Tags lists the account's tags by name (byte order, as SQLite's BINARY).
func (db *DB) Tags(ctx context.Context, accountID int64) ([]*sipsim.Tag, error) {
	tags, err := queryAll(ctx, db.pool, scanTag, tagSelect+"WHERE account_id = $1 ORDER BY name, id", accountID)
	return tags, wrap("tags", err)
}

// UpdateTag saves t's name and color and sets t.UpdatedAt; it also sets
// t.CreatedAt to the stored creation time, which it keeps.
func (db *DB) UpdateTag(ctx context.Context, t *sipsim.Tag) error {
	now := db.stamp()
	err := db.pool.QueryRow(ctx, `
		UPDATE tags SET name = $1, color = $2, updated_at = $3
		WHERE account_id = $4 AND id = $5 RETURNING created_at`,
		t.Name, t.Color, now, t.AccountID, t.ID).Scan(&t.CreatedAt)
	if errors.Is(err, pgx.ErrNoRows) {
		return errTagNotFound()
	} else if err != nil {
		return tagError("update tag", t, err)
	}
	t.UpdatedAt = now
	return nil
}

// DeleteTag removes a tag and, by cascade, takes it off every call that
// carries it. TagCall share-locks the tag before it tags a call, so a call
// tagged meanwhile is untagged too, or tagging waits and finds no tag.
func (db *DB) DeleteTag(ctx context.Context, accountID, id int64) error {
	err := execOne(ctx, db.pool, errTagNotFound, `DELETE FROM tags WHERE account_id = $1 AND id = $2`, accountID, id)
	return wrap("delete tag", err)
}

// TagCall puts a tag on a call; doing it twice changes nothing.
func (db *DB) TagCall(ctx context.Context, accountID int64, callID string, tagID int64) error {
	err := db.write(ctx, func(tx pgx.Tx) error {
		if err := callAndTagExist(ctx, tx, accountID, callID, tagID); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `
			INSERT INTO call_tags (account_id, call_id, tag_id, created_at) VALUES ($1, $2, $3, $4)
			ON CONFLICT (call_id, tag_id) DO NOTHING`,
			accountID, callID, tagID, db.stamp())
		return err
	})
	return wrap("tag call", err)
}

// UntagCall takes a tag off a call; no error if it was not on it.
func (db *DB) UntagCall(ctx context.Context, accountID int64, callID string, tagID int64) error {
	err := db.write(ctx, func(tx pgx.Tx) error {
		if err := callAndTagExist(ctx, tx, accountID, callID, tagID); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `DELETE FROM call_tags WHERE call_id = $1 AND tag_id = $2`, callID, tagID)
		return err
	})
	return wrap("untag call", err)
}

// callAndTagExist checks that both belong to the account: the call first,
// as the API's path names it first. The tag's row is share-locked until
// the transaction ends, so that DeleteTag waits for the call_tags row about
// to be written (see DeleteTag).
func callAndTagExist(ctx context.Context, q querier, accountID int64, callID string, tagID int64) error {
	var found bool
	err := q.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM calls WHERE account_id = $1 AND id = $2)`,
		accountID, callID).Scan(&found)
	if err != nil {
		return err
	}
	if !found {
		return errCallNotFound()
	}
	tag, err := q.Exec(ctx, `SELECT 1 FROM tags WHERE account_id = $1 AND id = $2 FOR KEY SHARE`, accountID, tagID)
	if err != nil {
		return err
	}
	if tag.RowsAffected() == 0 {
		return errTagNotFound()
	}
	return nil
}

// callTagsQuery reads the tags of the calls whose ids are in $1, ordered
// by name, each row led by its call's id.
const callTagsQuery = `
	SELECT ct.call_id, t.id, t.account_id, t.name, t.color, t.created_at, t.updated_at
	FROM call_tags ct JOIN tags t ON t.id = ct.tag_id
	WHERE ct.call_id = ANY ($1) ORDER BY t.name, t.id`

// callTag is a row of callTagsQuery.
type callTag struct {
	callID string
	tag    sipsim.Tag
}

func scanCallTag(row pgx.Row) (callTag, error) {
	var ct callTag
	t := &ct.tag
	err := row.Scan(&ct.callID, &t.ID, &t.AccountID, &t.Name, &t.Color, &t.CreatedAt, &t.UpdatedAt)
	return ct, err
}

// loadCallTags sets the Tags of each call, ordered by name, with one query
// for all of them.
func loadCallTags(ctx context.Context, q querier, calls []*sipsim.Call) error {
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
	rows, err := queryAll(ctx, q, scanCallTag, callTagsQuery, ids)
	if err != nil {
		return err
	}
	for _, r := range rows {
		c := byID[r.callID]
		c.Tags = append(c.Tags, r.tag)
	}
	return nil
}

// queueCallTags queues on b the read of a call's tags, which sets *dst
// when b's results are read.
func queueCallTags(b *pgx.Batch, callID string, dst *[]sipsim.Tag) {
	b.Queue(callTagsQuery, []string{callID}).Query(func(rows pgx.Rows) error {
		cts, err := collectAll(rows, scanCallTag)
		*dst = nil
		for _, ct := range cts {
			*dst = append(*dst, ct.tag)
		}
		return err
	})
}
