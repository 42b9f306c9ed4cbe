package tuning

// Background work that is long and not waited on by a call, the SQLite
// writer above all (half of serve's CPU at 200 calls/s, in pure Go: its
// statements hold a thread for milliseconds), runs on an operating-system
// thread of its own with a lower priority. On Linux's scheduler (EEVDF) a
// thread woken by the network waits for a running thread of the same
// priority to reach its fair share, up to a time slice of a millisecond or
// more; a thread of lower priority is passed at once. So a SIP answer
// arriving while the writer runs gets a core when it needs one, and the
// writer has the cores when nothing else wants them (docs/benchmarks.md,
// "Session 5").
//
// The price: when the cores are busy with something else, the writer gets
// a smaller share of them than before, so writes wait longer (see
// docs/operations.md, "Tuning for latency").

// DefaultBackgroundNice is how many steps of nice sipsim lowers its
// background threads by, where the system supports it (Linux; 0
// elsewhere). A step of nice is a factor of about 1.25 in the share of a
// busy core.
const DefaultBackgroundNice = defaultBackgroundNice

// MaxNice is the highest nice value: the lowest priority.
const MaxNice = 19
