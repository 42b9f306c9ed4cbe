package calls

import (
	"context"

	"github.com/sipsim/sipsim"
)

var _ sipsim.RecordingService = (*Service)(nil)

func noRecording() error { return sipsim.Errorf(sipsim.ENOTFOUND, "recording not found") }

// OpenRecording implements sipsim.RecordingService.
func (s *Service) OpenRecording(ctx context.Context, accountID int64, callID string) (sipsim.RecordingFile, error) {
	c, err := s.cfg.Calls.Call(ctx, accountID, callID)
	if err != nil {
		return nil, err
	}
	if !c.HasRecording || s.cfg.Recordings == nil {
		return nil, noRecording()
	}
	return s.cfg.Recordings.Open(ctx, accountID, callID)
}

// DeleteRecording implements sipsim.RecordingService. The call forgets its
// recording even if the file was already gone, so the two agree again.
func (s *Service) DeleteRecording(ctx context.Context, accountID int64, callID string) error {
	c, err := s.cfg.Calls.Call(ctx, accountID, callID)
	if err != nil {
		return err
	}
	if !c.HasRecording || s.cfg.Recordings == nil {
		return noRecording()
	}
	// A call that just ended here may still be storing recording.ready,
	// which would write has_recording back over the deletion: let its
	// recorder finish, then read the call again.
	s.mu.Lock()
	rc := s.running[callID]
	s.mu.Unlock()
	if rc != nil {
		select {
		case <-rc.done:
		case <-ctx.Done():
			return ctx.Err()
		}
		if c, err = s.cfg.Calls.Call(ctx, accountID, callID); err != nil {
			return err
		}
	}
	if err := s.cfg.Recordings.Delete(ctx, accountID, callID); err != nil && sipsim.ErrorCode(err) != sipsim.ENOTFOUND {
		return err
	}
	c.HasRecording, c.RecordingDuration = false, 0
	c.UpdatedAt = s.cfg.Now()
	return s.cfg.Calls.UpdateCall(ctx, c, nil)
}
