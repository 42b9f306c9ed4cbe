package sqlite

import (
	"errors"
	"fmt"
	"strings"

	"github.com/sipsim/sipsim"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// violates reports whether err is a SQLite constraint violation of the given
// extended result code whose message names what. SQLite names a failed
// UNIQUE constraint by its columns ("UNIQUE constraint failed:
// phones.account_id, phones.number") and a failed CHECK by its constraint
// name, so what is a qualified column or a constraint name.
func violates(err error, code int, what string) bool {
	var e *sqlite.Error
	if !errors.As(err, &e) || e.Code() != code {
		return false
	}
	msg := e.Error()
	i := strings.LastIndex(msg, "constraint failed: ")
	if i < 0 {
		return false
	}
	for _, part := range strings.Split(msg[i+len("constraint failed: "):], ", ") {
		if f := strings.Fields(part); len(f) > 0 && f[0] == what {
			return true
		}
	}
	return false
}

func violatesUnique(err error, column string) bool {
	return violates(err, sqlite3.SQLITE_CONSTRAINT_UNIQUE, column) ||
		violates(err, sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY, column)
}

func violatesCheck(err error, constraint string) bool {
	return violates(err, sqlite3.SQLITE_CONSTRAINT_CHECK, constraint)
}

// violatesForeignKey reports a foreign key violation. SQLite does not say
// which key failed, so callers must know which one their statement can break.
func violatesForeignKey(err error) bool {
	var e *sqlite.Error
	return errors.As(err, &e) && e.Code() == sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY
}

// unavailableMessages says, for each primary result code that means the
// database itself cannot take the write now, what the API user is told.
// The request was fine: the same request succeeds once the condition is
// fixed, without restarting the service.
var unavailableMessages = map[int]string{
	sqlite3.SQLITE_FULL:     "The database disk is full: the change was not saved; retry once space is freed",
	sqlite3.SQLITE_BUSY:     "The database is locked by another process: the change was not saved; retry shortly",
	sqlite3.SQLITE_LOCKED:   "The database is locked: the change was not saved; retry shortly",
	sqlite3.SQLITE_READONLY: "The database is read-only: the change was not saved",
	sqlite3.SQLITE_IOERR:    "The database could not be written: the change was not saved; retry later",
	sqlite3.SQLITE_CANTOPEN: "The database file could not be opened: the change was not saved; retry later",
}

// unavailable marks an error of the database itself (disk full, locked by
// another process past busy_timeout, read-only, unreadable, I/O error) as
// EUNAVAILABLE, which the API answers 503, rather than an internal error.
// The SQLite error stays in the chain for the logs. Errors that already
// carry a code (a constraint violation worded as ECONFLICT, say) and any
// other error pass unchanged.
func unavailable(err error) error {
	return classify(err, unavailableMessages)
}

// unreadableMessages are unavailableMessages for reads: nothing was being
// changed, and a full disk or a read-only file does not stop a read.
var unreadableMessages = map[int]string{
	sqlite3.SQLITE_BUSY:     "The database is locked by another process; retry shortly",
	sqlite3.SQLITE_LOCKED:   "The database is locked; retry shortly",
	sqlite3.SQLITE_IOERR:    "The database could not be read; retry later",
	sqlite3.SQLITE_CANTOPEN: "The database file could not be opened; retry later",
}

// unreadable is unavailable for errors of reads.
func unreadable(err error) error {
	return classify(err, unreadableMessages)
}

// classify marks err EUNAVAILABLE with the message messages has for its
// SQLite result code, if any.
func classify(err error, messages map[int]string) error {
	if err == nil {
		return nil
	}
	if _, ok := errors.AsType[*sipsim.Error](err); ok {
		return err
	}
	e, ok := errors.AsType[*sqlite.Error](err)
	if !ok {
		return err
	}
	// Extended codes (SQLITE_IOERR_WRITE...) keep the primary code in
	// their low byte.
	msg, ok := messages[e.Code()&0xff]
	if !ok {
		return err
	}
	return fmt.Errorf("%w: %w", sipsim.Errorf(sipsim.EUNAVAILABLE, "%s", msg), err)
}
