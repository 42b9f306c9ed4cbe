package rig

import (
	"context"
	"io"
	"path/filepath"
	"time"

	"github.com/sipsim/sipsim"
	"github.com/sipsim/sipsim/postgres"
	"github.com/sipsim/sipsim/sqlite"
)

// Store is what the benchmarks seed before the server starts: the data
// the server then serves, written by the same store code it uses, so it
// is exactly what the API would have stored.
type Store interface {
	sipsim.AccountStore
	sipsim.PhoneStore
	sipsim.RegistrationStore
	sipsim.CallStore
	sipsim.TagStore
	sipsim.TokenStore
	io.Closer
}

var (
	_ Store = (*sqlite.DB)(nil)
	_ Store = (*postgres.DB)(nil)
)

// OpenStore opens the database a server of cfg will use: PostgreSQL when
// cfg.DBURL is set, else sipsim.db in the data directory, as serve does.
// now is the clock of created_at and updated_at.
func OpenStore(ctx context.Context, cfg ServerConfig, now func() time.Time) (Store, error) {
	if cfg.DBURL != "" {
		return postgres.Open(ctx, cfg.DBURL, now)
	}
	return sqlite.Open(ctx, filepath.Join(cfg.DataDir, "sipsim.db"), now)
}
