package client

import (
	"crypto/sha256"
	"encoding/hex"
	"math"
	"strconv"
	"time"
)

// Backoff paces retries: the n-th wait is Initial × 2^(n−1), at most Max.
type Backoff struct {
	Initial time.Duration
	Max     time.Duration // 0: no cap
	// Attempts is how many times to retry after the first request.
	Attempts int
}

// delay is the wait before retry n (1 for the first retry).
func (b Backoff) delay(n int) time.Duration {
	d := b.Initial
	for i := 1; i < n; i++ {
		if (b.Max > 0 && d >= b.Max) || d > math.MaxInt64/2 {
			break
		}
		d *= 2
	}
	if b.Max > 0 && d > b.Max {
		d = b.Max
	}
	return d
}

// CallOption changes how CreateCall places a call.
type CallOption func(*callConfig)

type callConfig struct {
	busy *Backoff
}

// RetryOnBusy retries a call whose phone is busy (409 "Phone is currently
// on another call"), as the API document's example does: with
// Backoff{Initial: 30 * time.Second, Max: 90 * time.Second, Attempts: 3}
// it waits 30 s, 60 s, then 90 s between the four requests, and returns
// the last busy error if the phone is still busy. Other errors, including
// the double-click guard's 409, are returned at once. Cancelling the
// context ends a wait.
//
// A busy answer is stored under its Idempotency-Key, so each retry sends
// its own key derived from the one given ("key", "key#retry-1", ...): a
// program that restarts and runs the same retries replays the same
// answers, and no retry can place a second call.
func RetryOnBusy(b Backoff) CallOption {
	return func(c *callConfig) { c.busy = &b }
}

// maxKeyLength is the longest Idempotency-Key the API takes.
const maxKeyLength = 255

// retryKey is the Idempotency-Key of attempt n (0 for the first request).
func retryKey(key string, n int) string {
	if n == 0 {
		return key
	}
	suffix := "#retry-" + strconv.Itoa(n)
	if len(key)+len(suffix) > maxKeyLength {
		// Still one key per (key, attempt), within the limit.
		sum := sha256.Sum256([]byte(key))
		key = hex.EncodeToString(sum[:])
	}
	return key + suffix
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
