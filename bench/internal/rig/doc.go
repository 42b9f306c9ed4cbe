// Package rig starts what the benchmarks under bench/ measure: the sipsim
// binary, built from this module, serving on loopback ports with its own
// data directory or PostgreSQL schema. Everything it starts it also stops,
// so that a benchmark interrupted with Ctrl-C leaves no process or schema
// behind.
package rig
