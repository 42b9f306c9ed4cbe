package sqlite

import (
	"errors"
	"strings"

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
