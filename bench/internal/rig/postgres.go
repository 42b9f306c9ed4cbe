package rig

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"time"

	"github.com/jackc/pgx/v5"
)

// defaultPostgres is the test PostgreSQL server of the e2e tests; the
// SIPSIM_TEST_POSTGRES environment variable names another.
const defaultPostgres = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"

// PostgresURL is the server benchmarks create their schemas on.
func PostgresURL() string {
	if u := os.Getenv("SIPSIM_TEST_POSTGRES"); u != "" {
		return u
	}
	return defaultPostgres
}

// NewSchema creates a fresh schema on the benchmark PostgreSQL server and
// returns a URL whose search_path points at it, and the function that
// drops it (call it after the server has stopped).
func NewSchema(ctx context.Context) (dbURL string, drop func() error, err error) {
	b := make([]byte, 6)
	rand.Read(b)
	name := "sipsim_bench_" + hex.EncodeToString(b)
	if err := execPostgres(ctx, "CREATE SCHEMA "+name); err != nil {
		return "", nil, err
	}
	drop = func() error { return execPostgres(context.Background(), "DROP SCHEMA "+name+" CASCADE") }
	u, err := url.Parse(PostgresURL())
	if err != nil {
		_ = drop()
		return "", nil, fmt.Errorf("SIPSIM_TEST_POSTGRES: %w", err)
	}
	q := u.Query()
	q.Set("search_path", name)
	u.RawQuery = q.Encode()
	return u.String(), drop, nil
}

func execPostgres(ctx context.Context, sql string) error {
	ctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, PostgresURL())
	if err != nil {
		return fmt.Errorf("PostgreSQL at %s (set SIPSIM_TEST_POSTGRES): %w", PostgresURL(), err)
	}
	defer conn.Close(context.WithoutCancel(ctx))
	_, err = conn.Exec(ctx, sql)
	return err
}
