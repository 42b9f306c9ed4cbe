// Package storesql holds what the two SQL stores, sqlite and postgres,
// share apart from their SQL: how migration files are named and read, and
// how a call's dispatch is kept in plain columns. Queries stay in each
// store, written for its database.
package storesql
