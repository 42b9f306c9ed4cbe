package voip

import (
	"context"
	"io"
	"os"

	"github.com/sipsim/sipsim/voip/media"
)

// recording is a call being recorded: the recorder on the bridge and where
// its file goes.
type recording struct {
	rec   *media.Recorder
	dst   io.WriteCloser
	spool *os.File // set when dst cannot seek: the WAV is built here, then copied
}

// startRecording attaches a recorder to the bridge when the plan asks for
// one and a store is configured; nil otherwise. A failure to start is
// logged and the call goes on unrecorded: the conversation matters more.
func (c *callRun) startRecording(ctx context.Context) *recording {
	store := c.e.cfg.Recordings
	if !c.plan.Record || store == nil {
		return nil
	}
	log := c.e.log.With("call_id", c.plan.CallID)
	dst, err := store.Create(ctx, c.plan.Phone.AccountID, c.plan.CallID)
	if err != nil {
		log.Error("recording: cannot create", "err", err)
		return nil
	}
	r := &recording{dst: dst}
	ws, ok := dst.(io.WriteSeeker)
	if !ok {
		// An object store's writer streams: build the file aside.
		if r.spool, err = os.CreateTemp("", "sipsim-recording-*.wav"); err != nil {
			log.Error("recording: cannot spool", "err", err)
			dst.Close()
			return nil
		}
		ws = r.spool
	}
	if r.rec, err = media.NewRecorder(ws); err != nil {
		log.Error("recording: cannot start", "err", err)
		r.discard()
		return nil
	}
	c.bridge.Record(r.rec)
	return r
}

// finish detaches the recorder, completes and stores the file, and returns
// its duration in seconds (0 when nothing was stored).
func (c *callRun) finishRecording(r *recording) float64 {
	if r == nil {
		return 0
	}
	c.bridge.StopRecording()
	secs, err := r.rec.Close()
	if err == nil && r.spool != nil {
		if _, err = r.spool.Seek(0, io.SeekStart); err == nil {
			_, err = io.Copy(r.dst, r.spool)
		}
	}
	if err == nil {
		dst := r.dst
		r.dst = nil
		err = dst.Close()
	}
	r.discard()
	if err != nil {
		c.e.log.Error("recording: cannot store", "call_id", c.plan.CallID, "err", err)
		return 0
	}
	return secs
}

// discard releases what the recording still holds.
// Errors are moot here: the recording is already lost or already stored.
func (r *recording) discard() {
	if r.dst != nil {
		r.dst.Close()
	}
	if r.spool != nil {
		r.spool.Close()
		os.Remove(r.spool.Name())
	}
}
