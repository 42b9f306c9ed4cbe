package e2e

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"syscall"
	"testing"
	"time"
)

// baresipConfig is one baresip softphone: it plays a sine tone as its
// microphone and dumps what it sends and hears as WAV files (sndfile).
type baresipConfig struct {
	Name    string // "phone", "carrier": labels logs
	Port    int    // sip_listen port on 127.0.0.1
	ToneHz  int    // the microphone: ausine at this frequency
	Account string // the accounts file's line
	Seconds int    // -t: baresip hangs up and quits after this long
	// SIPTrace (-s) prints the SIP messages to baresip's output.
	SIPTrace bool
	// Commands run once baresip is up (-e), e.g. "/dial +33698765432".
	Commands []string
	// Verbose (-v) logs baresip's debug lines, received DTMF among them.
	Verbose bool
}

// baresipProc is a running baresip, stopped at cleanup (SIGTERM, so that
// it un-registers). Its log is printed when the test fails.
type baresipProc struct {
	t    testing.TB
	name string
	Dir  string
	cmd  *exec.Cmd
	out  *lockedBuffer
	done chan struct{}
}

// baresipConfigFile is baresip 1.0.0's config for a headless softphone on
// loopback: no sound card (aubridge as player), an endless tone as source,
// G.711 only, and its own RTP port range so parallel tests cannot clash.
const baresipConfigFile = `poll_method		epoll
sip_listen		127.0.0.1:%d
net_interface		127.0.0.1
rtp_ports		%d-%d
audio_player		aubridge,nil
audio_alert		aubridge,nil
audio_source		ausine,%d
ausrc_srate		48000
ausrc_channels		2
module_path		/usr/lib/baresip/modules
module			g711.so
module			ausine.so
module			aubridge.so
module			sndfile.so
snd_path		%s
module_app		account.so
module_app		menu.so
`

func startBaresip(t testing.TB, cfg baresipConfig) *baresipProc {
	t.Helper()
	requirePeers(t, "baresip")
	dir, err := os.MkdirTemp(t.TempDir(), cfg.Name+"-")
	if err != nil {
		t.Fatal(err)
	}
	rtp := freePorts(t, 20)
	conf := fmt.Sprintf(baresipConfigFile, cfg.Port, rtp, rtp+19, cfg.ToneHz, dir)
	if err := os.WriteFile(filepath.Join(dir, "config"), []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "accounts"), []byte(cfg.Account+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	b := &baresipProc{t: t, name: cfg.Name, Dir: dir, out: &lockedBuffer{}, done: make(chan struct{})}
	args := []string{"-f", dir, "-t", fmt.Sprint(cfg.Seconds)}
	if cfg.SIPTrace {
		args = append(args, "-s")
	}
	if cfg.Verbose {
		args = append(args, "-v")
	}
	for _, c := range cfg.Commands {
		args = append(args, "-e", c)
	}
	b.cmd = exec.Command("baresip", args...)
	b.cmd.Dir = dir
	b.cmd.Env = append(os.Environ(), "HOME="+dir)
	b.cmd.Stdin = nil // /dev/null: no console commands
	b.cmd.Stdout, b.cmd.Stderr = b.out, b.out
	if err := b.cmd.Start(); err != nil {
		t.Fatalf("start baresip %s: %v", cfg.Name, err)
	}
	go func() {
		_ = b.cmd.Wait()
		close(b.done)
	}()
	t.Cleanup(func() {
		b.stop()
		if t.Failed() {
			t.Logf("baresip %s (%s):\n%s", b.name, dir, tail(statusLinesOut(b.out.String()), 20000))
		}
	})
	return b
}

func (b *baresipProc) stop() {
	select {
	case <-b.done:
		return
	default:
	}
	_ = b.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-b.done:
	case <-time.After(5 * time.Second):
		_ = b.cmd.Process.Kill()
		<-b.done
	}
}

// output is what baresip printed so far.
func (b *baresipProc) output() string { return b.out.String() }

// wait waits for baresip to quit by itself (-t).
func (b *baresipProc) wait(timeout time.Duration) {
	b.t.Helper()
	select {
	case <-b.done:
	case <-time.After(timeout):
		b.t.Fatalf("baresip %s still running after %v", b.name, timeout)
	}
}

// audio reads the WAV that sndfile dumped: "dec" is what baresip heard
// (decoded from RTP), "enc" what it sent.
func (b *baresipProc) audio(kind string) (wavAudio, error) {
	files, _ := filepath.Glob(filepath.Join(b.Dir, "dump-*-"+kind+".wav"))
	if len(files) != 1 {
		return wavAudio{}, fmt.Errorf("%d %s WAV files in %s, want 1", len(files), kind, b.Dir)
	}
	return readWAV(files[0])
}

// baresipStatus is baresip's once-a-tick call status ("[0:00:01]
// audio=64000/64000 (bit/s)"), which would fill the log.
var baresipStatus = regexp.MustCompile(`\[\d+:\d\d:\d\d\] audio=\S+ \(bit/s\)\s*`)

func statusLinesOut(s string) string { return baresipStatus.ReplaceAllString(s, "") }
