package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/sipsim/sipsim/sqlite"
)

// openStore opens the database named by --db, or the SQLite file in the
// data directory when --db is empty.
func openStore(ctx context.Context, dbURL, dataDir string, now func() time.Time) (*sqlite.DB, error) {
	path := dbURL
	switch {
	case dbURL == "":
		if err := os.MkdirAll(dataDir, 0o750); err != nil {
			return nil, fmt.Errorf("data dir: %w", err)
		}
		path = filepath.Join(dataDir, "sipsim.db")
	case strings.HasPrefix(dbURL, "postgres://"), strings.HasPrefix(dbURL, "postgresql://"):
		return nil, usageError{"--db: PostgreSQL support arrives with issue #6; use a SQLite path for now"}
	case strings.HasPrefix(dbURL, "sqlite://"):
		path = strings.TrimPrefix(dbURL, "sqlite://")
	case strings.HasPrefix(dbURL, "file:"):
		path = strings.TrimPrefix(dbURL, "file:")
	}
	db, err := sqlite.Open(ctx, path, now)
	if err != nil {
		return nil, fmt.Errorf("open database %s: %w", path, err)
	}
	return db, nil
}

// storeFlags are the --data-dir and --db flags of the administration
// commands, which work on the server's database.
type storeFlags struct{ dataDir, dbURL *string }

func addStoreFlags(fs *flag.FlagSet) storeFlags {
	return storeFlags{
		dataDir: fs.String("data-dir", "./sipsim-data", "data directory holding the SQLite database"),
		dbURL:   fs.String("db", "", "database URL or SQLite path (default: sipsim.db in --data-dir)"),
	}
}

// open opens the database the flags name, saying why on stderr if it
// cannot.
func (f storeFlags) open(ctx context.Context, stderr io.Writer) (*sqlite.DB, error) {
	db, err := openStore(ctx, *f.dbURL, *f.dataDir, time.Now)
	if err != nil {
		fmt.Fprintln(stderr, "sipsim:", err)
	}
	return db, err
}
