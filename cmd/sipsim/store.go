package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/sipsim/sipsim"
	"github.com/sipsim/sipsim/postgres"
	"github.com/sipsim/sipsim/recordings"
	"github.com/sipsim/sipsim/sqlite"
)

// store is what serve and the administration commands use of a backend:
// every store interface of package sipsim. Both the SQLite and the
// PostgreSQL store are one.
type store interface {
	sipsim.PhoneStore
	sipsim.RegistrationStore
	sipsim.ListVersionStore
	sipsim.CallStore
	sipsim.TokenStore
	sipsim.EventStore
	sipsim.TagStore
	sipsim.WebhookStore
	sipsim.IdempotencyStore
	sipsim.AudioFileStore
	sipsim.AccountStore
	metricCounter
	io.Closer
}

var (
	_ store = (*sqlite.DB)(nil)
	_ store = (*postgres.DB)(nil)
)

// isPostgresURL reports whether --db names a PostgreSQL database rather
// than a SQLite file.
func isPostgresURL(dbURL string) bool {
	return strings.HasPrefix(dbURL, "postgres://") || strings.HasPrefix(dbURL, "postgresql://")
}

// sqlitePath is the SQLite file --db and --data-dir name: --db as a path,
// a sqlite:// or file: URL, or sipsim.db in the data directory when --db is
// empty.
func sqlitePath(dbURL, dataDir string) string {
	switch {
	case dbURL == "":
		return filepath.Join(dataDir, "sipsim.db")
	case strings.HasPrefix(dbURL, "sqlite://"):
		return strings.TrimPrefix(dbURL, "sqlite://")
	case strings.HasPrefix(dbURL, "file:"):
		return strings.TrimPrefix(dbURL, "file:")
	}
	return dbURL
}

// openStore opens the database named by --db: PostgreSQL for a postgres://
// or postgresql:// URL, else the SQLite file sqlitePath names, opened with
// opts.
func openStore(ctx context.Context, dbURL, dataDir string, now func() time.Time, opts ...sqlite.Option) (store, error) {
	if isPostgresURL(dbURL) {
		db, err := postgres.Open(ctx, dbURL, now)
		if err != nil {
			return nil, fmt.Errorf("open database %s: %w", redactDBURL(dbURL), err)
		}
		return db, nil
	}
	if dbURL == "" {
		if err := os.MkdirAll(dataDir, 0o750); err != nil {
			return nil, fmt.Errorf("data dir: %w", err)
		}
	}
	path := sqlitePath(dbURL, dataDir)
	db, err := sqlite.Open(ctx, path, now, opts...)
	if err != nil {
		return nil, fmt.Errorf("open database %s: %w", path, err)
	}
	return db, nil
}

// describeStore names the backend and where it is, for the log: the
// PostgreSQL URL without its password, or the SQLite file.
func describeStore(dbURL, dataDir string) (backend, location string) {
	if isPostgresURL(dbURL) {
		return "postgresql", redactDBURL(dbURL)
	}
	return "sqlite", sqlitePath(dbURL, dataDir)
}

// redactDBURL is a PostgreSQL URL fit for logs and error messages: the
// password is masked wherever the URL may carry one, in the user info or
// as a password or sslpassword parameter. A URL that does not parse is not
// shown at all, since its password could not be found for sure.
func redactDBURL(dbURL string) string {
	u, err := url.Parse(dbURL)
	if err != nil {
		return "(unparsable database URL)"
	}
	q := u.Query()
	masked := false
	for _, key := range []string{"password", "sslpassword"} {
		if q.Has(key) {
			q.Set(key, "xxxxx")
			masked = true
		}
	}
	if masked {
		u.RawQuery = q.Encode()
	}
	return u.Redacted()
}

// storeFlags are the --data-dir and --db flags of the administration
// commands, which work on the server's database.
type storeFlags struct{ dataDir, dbURL *string }

func addStoreFlags(fs *flag.FlagSet) storeFlags {
	return storeFlags{
		dataDir: fs.String("data-dir", "./sipsim-data", "data directory holding the SQLite database"),
		dbURL:   fs.String("db", "", dbFlagHelp),
	}
}

// dbFlagHelp is the help of --db, the same for serve and the
// administration commands.
const dbFlagHelp = "database: a PostgreSQL URL (postgres://user:password@host:5432/db?sslmode=require) shared by several nodes, or a SQLite path (default: sipsim.db in --data-dir)"

// open opens the database the flags name, saying why on stderr if it
// cannot.
func (f storeFlags) open(ctx context.Context, stderr io.Writer) (store, error) {
	db, err := openStore(ctx, *f.dbURL, *f.dataDir, time.Now)
	if err != nil {
		fmt.Fprintln(stderr, "sipsim:", err)
	}
	return db, err
}

// recordingStore is where calls' recordings go: in PostgreSQL, so that
// every node serves every recording, or in the data directory with SQLite.
// Recordings on PostgreSQL wait in the data directory while being written.
func recordingStore(db store, dataDir string) sipsim.RecordingStore {
	if pg, ok := db.(*postgres.DB); ok {
		tmp := filepath.Join(dataDir, "recordings-pending")
		if err := os.MkdirAll(tmp, 0o750); err != nil {
			tmp = "" // the system's temporary directory will do
		}
		return pg.Recordings(tmp)
	}
	return recordings.NewFS(filepath.Join(dataDir, "recordings"))
}
