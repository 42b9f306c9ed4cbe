package sqlite

// Option changes how Open sets the store up.
type Option func(*options)

type options struct {
	writerNice int
}

// WriterNice runs the writer goroutine on a thread of its own whose
// priority is lower by steps of nice (tuning.GoLowered; Linux
// only): the writer is long batch work that no call's signalling waits
// for, so a thread woken by the network passes it on a busy core. Open
// fails if the priority cannot be set. 0, the default, leaves the writer
// to Go's scheduler like any goroutine.
func WriterNice(steps int) Option {
	return func(o *options) { o.writerNice = steps }
}
