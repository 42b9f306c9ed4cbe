package calls

import (
	"testing"

	"github.com/sipsim/sipsim"
	"github.com/sipsim/sipsim/audio"
)

func TestPrerollIsLoadedIntoThePlan(t *testing.T) {
	tel := &scriptedTelephony{release: make(chan struct{})}
	f := newFixture(t, tel)
	f.register(t)
	x := make([]float32, 1600) // 200 ms
	for i := range x {
		x[i] = float32(i%100) / 200
	}
	file := &sipsim.AudioFile{AccountID: sipsim.DefaultAccountID, Name: "hello.wav", ContentType: sipsim.AudioFileContentType, DurationSeconds: 0.2}
	if err := f.db.CreateAudioFile(t.Context(), file, audio.EncodeWAV(x, audio.SampleRate)); err != nil {
		t.Fatal(err)
	}
	place := func(setting sipsim.AudioSetting, target string) sipsim.CallPlan {
		t.Helper()
		f.phone.AudioSetting = setting
		if err := f.db.UpdatePhone(t.Context(), f.phone); err != nil {
			t.Fatal(err)
		}
		c, err := f.svc.CreateCall(t.Context(), sipsim.CreateCallRequest{AccountID: sipsim.DefaultAccountID, PhoneID: f.phone.ID, TargetNumber: target})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.CancelCall(t.Context(), sipsim.DefaultAccountID, c.ID); err != nil {
			t.Fatal(err)
		}
		waitFinal(t, f.db, c.ID)
		tel.mu.Lock()
		defer tel.mu.Unlock()
		return tel.plans[len(tel.plans)-1]
	}
	if p := place(sipsim.AudioSetting{}, "+33698765401"); p.Preroll != nil || p.WaitPrerollDial {
		t.Errorf("no preroll set: plan has %d samples, wait %v", len(p.Preroll), p.WaitPrerollDial)
	}
	p := place(sipsim.AudioSetting{OutboundCallPrerollID: &file.ID, WaitPrerollDial: 1}, "+33698765402")
	if len(p.Preroll) != len(x) || !p.WaitPrerollDial {
		t.Fatalf("plan has %d samples, wait %v; want %d and wait", len(p.Preroll), p.WaitPrerollDial, len(x))
	}
	// EncodeWAV stores round(v × 32767): 0.25 is 8192.
	if p.Preroll[50] != 8192 {
		t.Errorf("sample 50 = %d, want the file's 8192", p.Preroll[50])
	}
	if p := place(sipsim.AudioSetting{OutboundCallPrerollID: &file.ID}, "+33698765403"); len(p.Preroll) == 0 || p.WaitPrerollDial {
		t.Errorf("wait_preroll_dial 0: %d samples, wait %v; want the preroll, dialled at once", len(p.Preroll), p.WaitPrerollDial)
	}
}
