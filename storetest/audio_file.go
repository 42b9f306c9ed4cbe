package storetest

import (
	"bytes"
	"fmt"
	"testing"
	"time"

	"github.com/sipsim/sipsim"
)

func testAudioFiles(t *testing.T, open OpenFunc) {
	t.Run("CRUD", func(t *testing.T) { testAudioFileCRUD(t, open) })
	t.Run("NotFound", func(t *testing.T) { testAudioFileNotFound(t, open) })
	t.Run("InUse", func(t *testing.T) { testAudioFileInUse(t, open) })
}

func newAudioFile(account int64, name string) *sipsim.AudioFile {
	return &sipsim.AudioFile{AccountID: account, Name: name, ContentType: sipsim.AudioFileContentType, DurationSeconds: 1.25}
}

func testAudioFileCRUD(t *testing.T, open OpenFunc) {
	e := newEnv(t, open)
	var created []*sipsim.AudioFile
	for i, name := range []string{"welcome.wav", "hold.mp3"} {
		f := newAudioFile(sipsim.DefaultAccountID, name)
		data := bytes.Repeat([]byte{byte(i + 1)}, 100+i)
		must(t, e.s.CreateAudioFile(e.ctx, f, data))
		if f.ID <= 0 || !f.CreatedAt.Equal(e.clock.Now()) || f.SizeBytes != int64(len(data)) {
			t.Fatalf("created audio file = %+v; want an id, size %d and time %s", f, len(data), e.clock.Now())
		}
		got, err := e.s.AudioFile(e.ctx, sipsim.DefaultAccountID, f.ID)
		must(t, err)
		wantEqual(t, "AudioFile", got, f)
		meta, content, err := e.s.AudioFileData(e.ctx, sipsim.DefaultAccountID, f.ID)
		must(t, err)
		wantEqual(t, "AudioFileData metadata", meta, f)
		if !bytes.Equal(content, data) {
			t.Fatalf("AudioFileData content = % x; want % x", content, data)
		}
		created = append(created, f)
		e.clock.Advance(time.Second)
	}
	other := newAudioFile(OtherAccountID, "another account's")
	must(t, e.s.CreateAudioFile(e.ctx, other, []byte{9}))

	files, err := e.s.AudioFiles(e.ctx, sipsim.DefaultAccountID)
	must(t, err)
	wantEqual(t, "AudioFiles, by id", files, created)

	_, err = e.s.AudioFile(e.ctx, sipsim.DefaultAccountID, other.ID)
	wantCode(t, err, sipsim.ENOTFOUND, "Audio file not found")
	_, _, err = e.s.AudioFileData(e.ctx, sipsim.DefaultAccountID, other.ID)
	wantCode(t, err, sipsim.ENOTFOUND, "Audio file not found")
	wantCode(t, e.s.DeleteAudioFile(e.ctx, sipsim.DefaultAccountID, other.ID), sipsim.ENOTFOUND, "Audio file not found")

	must(t, e.s.DeleteAudioFile(e.ctx, sipsim.DefaultAccountID, created[0].ID))
	_, err = e.s.AudioFile(e.ctx, sipsim.DefaultAccountID, created[0].ID)
	wantCode(t, err, sipsim.ENOTFOUND, "Audio file not found")
	files, err = e.s.AudioFiles(e.ctx, sipsim.DefaultAccountID)
	must(t, err)
	wantEqual(t, "AudioFiles after delete", files, created[1:])

	none, err := e.s.AudioFiles(e.ctx, OtherAccountID+1)
	must(t, err)
	if len(none) != 0 {
		t.Fatalf("AudioFiles of an account without files = %v; want none", none)
	}
}

func testAudioFileNotFound(t *testing.T, open OpenFunc) {
	e := newEnv(t, open)
	_, err := e.s.AudioFile(e.ctx, sipsim.DefaultAccountID, 404)
	wantCode(t, err, sipsim.ENOTFOUND, "Audio file not found")
	_, _, err = e.s.AudioFileData(e.ctx, sipsim.DefaultAccountID, 404)
	wantCode(t, err, sipsim.ENOTFOUND, "Audio file not found")
	wantCode(t, e.s.DeleteAudioFile(e.ctx, sipsim.DefaultAccountID, 404), sipsim.ENOTFOUND, "Audio file not found")
}

// testAudioFileInUse checks each of the four settings that can refer to a
// file, and that another account's phone never blocks a delete.
func testAudioFileInUse(t *testing.T, open OpenFunc) {
	settings := map[string]func(p *sipsim.Phone, id int64){
		"audio_setting.inbound_call_preroll_id":  func(p *sipsim.Phone, id int64) { p.AudioSetting.InboundCallPrerollID = &id },
		"audio_setting.outbound_call_preroll_id": func(p *sipsim.Phone, id int64) { p.AudioSetting.OutboundCallPrerollID = &id },
		"audio_setting.no_answer_file_id":        func(p *sipsim.Phone, id int64) { p.AudioSetting.NoAnswerFileID = &id },
		"voicemail_setting.voicemail_file_id":    func(p *sipsim.Phone, id int64) { p.VoicemailSetting.VoicemailFileID = &id },
	}
	for field, set := range settings {
		t.Run(field, func(t *testing.T) {
			e := newEnv(t, open)
			f := newAudioFile(sipsim.DefaultAccountID, "prompt.wav")
			must(t, e.s.CreateAudioFile(e.ctx, f, []byte{1, 2}))

			// Another account's phone naming the same id is not a use.
			stranger := minimalPhone(1)
			stranger.AccountID = OtherAccountID
			set(stranger, f.ID)
			must(t, e.s.CreatePhone(e.ctx, stranger))

			p := minimalPhone(2)
			set(p, f.ID)
			must(t, e.s.CreatePhone(e.ctx, p))
			wantCode(t, e.s.DeleteAudioFile(e.ctx, sipsim.DefaultAccountID, f.ID), sipsim.ECONFLICT,
				fmt.Sprintf("Audio file %d is used by phone %d (%s)", f.ID, p.ID, field))

			set(p, f.ID+1000)
			must(t, e.s.UpdatePhone(e.ctx, p))
			must(t, e.s.DeleteAudioFile(e.ctx, sipsim.DefaultAccountID, f.ID))
		})
	}
}
