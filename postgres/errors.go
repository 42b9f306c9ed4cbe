package postgres

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/sipsim/sipsim"
)

// SQLSTATE codes of the constraint violations the store turns into
// user-facing errors.
const (
	foreignKeyViolation = "23503"
	uniqueViolation     = "23505"
	checkViolation      = "23514"
)

// violates reports whether err is a violation (a SQLSTATE code) of the
// named constraint or unique index.
func violates(err error, code, constraint string) bool {
	e, ok := errors.AsType[*pgconn.PgError](err)
	return ok && e.Code == code && e.ConstraintName == constraint
}

func violatesUnique(err error, constraint string) bool {
	return violates(err, uniqueViolation, constraint)
}

func violatesCheck(err error, constraint string) bool {
	return violates(err, checkViolation, constraint)
}

// Messages of the database faults, each what the API user is told. The
// request was fine: the same request succeeds once the condition is fixed,
// without restarting the service. Where SQLite has the same condition the
// wording is the SQLite store's.
const (
	msgUnreachable = "The database cannot be reached; retry later"
	msgRestarting  = "The database is shutting down or restarting: retry shortly"
	msgDiskFull    = "The database disk is full: the change was not saved; retry once space is freed"
	msgReadOnly    = "The database is read-only: the change was not saved"
	msgOverloaded  = "The database is overloaded: retry shortly"
	msgLocked      = "The database is locked: the change was not saved; retry shortly"
)

// unavailableStates says, for the SQLSTATE codes and classes (two
// characters) that mean the database itself cannot serve the request now,
// what the user is told.
var unavailableStates = map[string]string{
	"08":    msgUnreachable, // connection exception
	"57P01": msgRestarting,  // admin_shutdown: the server, or an administrator, ended the session
	"57P02": msgRestarting,  // crash_shutdown
	"57P03": msgRestarting,  // cannot_connect_now: starting up
	"53100": msgDiskFull,    // disk_full
	"53200": msgOverloaded,  // out_of_memory
	"53300": msgOverloaded,  // too_many_connections
	"25006": msgReadOnly,    // read_only_sql_transaction: a standby, or default_transaction_read_only
	"40001": msgLocked,      // serialization_failure
	"40P01": msgLocked,      // deadlock_detected
	"55P03": msgLocked,      // lock_not_available: lock_timeout ran out
	"58030": msgUnreachable, // io_error
}

// invalidStates are the values text columns cannot hold, which SQLite
// stores as given: NUL characters and bytes that are not UTF-8.
var invalidStates = map[string]bool{
	"22021": true, // character_not_in_repertoire
	"22P05": true, // untranslatable_character
}

// classify marks an error of the database itself as EUNAVAILABLE, which
// the API answers 503, rather than an internal error: the server cannot
// be reached or dropped the connection, is shutting down, its disk is
// full, it is read-only or overloaded. Text PostgreSQL cannot store is
// EINVALID. The database's error stays in the chain for the logs. Errors
// that already carry a code (a constraint violation worded as ECONFLICT,
// say), the caller's own cancellation, and any other error pass
// unchanged.
func classify(err error) error {
	if err == nil {
		return nil
	}
	if _, ok := errors.AsType[*sipsim.Error](err); ok {
		return err
	}
	// A connection attempt that timed out is the database not answering
	// (connect_timeout), not the caller giving up.
	if _, ok := errors.AsType[*pgconn.ConnectError](err); ok && !errors.Is(err, context.Canceled) {
		return fmt.Errorf("%w: %w", sipsim.Errorf(sipsim.EUNAVAILABLE, "%s", msgUnreachable), err)
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	if e, ok := errors.AsType[*pgconn.PgError](err); ok {
		if invalidStates[e.Code] {
			return fmt.Errorf("%w: %w", sipsim.Errorf(sipsim.EINVALID, "Text must be UTF-8 without NUL characters"), err)
		}
		msg, ok := unavailableStates[e.Code]
		if !ok && len(e.Code) == 5 {
			msg, ok = unavailableStates[e.Code[:2]]
		}
		if !ok {
			return err
		}
		return fmt.Errorf("%w: %w", sipsim.Errorf(sipsim.EUNAVAILABLE, "%s", msg), err)
	}
	if lostConnection(err) {
		return fmt.Errorf("%w: %w", sipsim.Errorf(sipsim.EUNAVAILABLE, "%s", msgUnreachable), err)
	}
	return err
}

// lostConnection reports an error of the connection rather than of the
// request: connecting failed, or the connection broke or was closed under
// the request.
func lostConnection(err error) bool {
	if _, ok := errors.AsType[*pgconn.ConnectError](err); ok {
		return true
	}
	if _, ok := errors.AsType[net.Error](err); ok {
		return true
	}
	return errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, net.ErrClosed) ||
		errors.Is(err, pgconn.ErrConnClosed) || pgconn.Timeout(err)
}

// wrap is the error a method returns: nil, an error that already carries a
// code, a database fault marked by classify, or err wrapped with op.
func wrap(op string, err error) error {
	if err == nil {
		return nil
	}
	err = classify(err)
	if sipsim.ErrorCode(err) != sipsim.EINTERNAL {
		return err
	}
	return fmt.Errorf("%s: %w", op, err)
}
