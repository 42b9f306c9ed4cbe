package calls

import (
	"context"

	"github.com/sipsim/sipsim"
	"github.com/sipsim/sipsim/audio"
)

// preroll loads the audio the employee hears once they answer a
// click-to-call (audio_setting.outbound_call_preroll_id). A file that
// cannot be read is logged and skipped: a missing message must not stop
// the call.
func (s *Service) preroll(ctx context.Context, phone *sipsim.Phone) []int16 {
	id := phone.AudioSetting.OutboundCallPrerollID
	if id == nil || s.cfg.AudioFiles == nil {
		return nil
	}
	_, data, err := s.cfg.AudioFiles.AudioFileData(ctx, phone.AccountID, *id)
	if err != nil {
		s.log.Warn("preroll unavailable; calling without it", "phone_id", phone.ID, "audio_file_id", *id, "err", err)
		return nil
	}
	samples, err := audio.TelephonySamples(data)
	if err != nil {
		s.log.Warn("preroll unreadable; calling without it", "phone_id", phone.ID, "audio_file_id", *id, "err", err)
		return nil
	}
	return samples
}
