// Package wire holds the public JSON shapes of SIPSIM's objects (Phone,
// Call, ...) and their conversion from the domain types. The HTTP API, the
// event streams and webhooks render with it and the Go SDK decodes with it,
// so the three cannot drift apart.
package wire
