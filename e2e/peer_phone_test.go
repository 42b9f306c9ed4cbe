package e2e

import (
	"fmt"
	"net"
	"strconv"
	"testing"
	"time"
)

// sippPhone is SIPp playing the employee's phone: it registers with digest
// auth (phone_register.xml) and handles incoming INVITEs with an
// out-of-call scenario, echoing any RTP it gets.
type sippPhone struct {
	*sippProc
	Port   int
	callID string
	tcp    bool
}

type phoneConfig struct {
	User     int    // internal number: SIP user name
	Password string // SIP password
	OOC      string // out-of-call scenario: phone_answer.xml...
	// NATAddr, if set, is the host:port the phone puts in its Via and
	// Contact instead of its own, as a phone behind NAT does.
	NATAddr string
	// TCP registers and takes calls over one TCP connection (-t t1)
	// instead of UDP.
	TCP  bool
	Args []string
}

func startSIPpPhone(t testing.TB, s *server, cfg phoneConfig) *sippPhone {
	t.Helper()
	port := freePort(t)
	media := freePorts(t, 4)
	// The Call-ID of the registration: the stop signal is sent on it.
	callID := fmt.Sprintf("phone-%d@sipsim-e2e", port)
	contact := fmt.Sprintf("127.0.0.1:%d", port)
	if cfg.NATAddr != "" {
		contact = cfg.NATAddr
	}
	args := []string{
		"-s", strconv.Itoa(cfg.User), "-au", strconv.Itoa(cfg.User), "-ap", cfg.Password,
		"-cid_str", callID,
		"-m", "1", "-rtp_echo",
		"-key", "contact_hostport", contact,
	}
	if cfg.TCP {
		args = append(args, "-t", "t1")
	}
	p := startSIPp(t, sippConfig{
		Name:        "phone",
		Scenario:    "phone_register.xml",
		OOCScenario: cfg.OOC,
		Remote:      fmt.Sprintf("127.0.0.1:%d", s.SIPPort),
		Port:        port,
		MediaPort:   media,
		Args:        append(args, cfg.Args...),
	})
	return &sippPhone{sippProc: p, Port: port, callID: callID, tcp: cfg.TCP}
}

// unregister tells the phone to un-REGISTER (Expires: 0) and waits for
// SIPp to exit; it returns SIPp's exit code.
func (p *sippPhone) unregister() int {
	p.t.Helper()
	if p.tcp {
		p.t.Fatalf("unregister: the stop signal goes over UDP; a TCP phone cannot get it")
	}
	conn, err := net.Dial("udp4", fmt.Sprintf("127.0.0.1:%d", p.Port))
	if err != nil {
		p.t.Fatal(err)
	}
	defer conn.Close()
	local := conn.LocalAddr().String()
	msg := "MESSAGE sip:phone@127.0.0.1:" + strconv.Itoa(p.Port) + " SIP/2.0\r\n" +
		"Via: SIP/2.0/UDP " + local + ";branch=z9hG4bK-e2e-stop\r\n" +
		"Max-Forwards: 70\r\n" +
		"From: <sip:e2e@" + local + ">;tag=e2e-stop\r\n" +
		"To: <sip:phone@127.0.0.1:" + strconv.Itoa(p.Port) + ">\r\n" +
		"Call-ID: " + p.callID + "\r\n" +
		"CSeq: 1 MESSAGE\r\n" +
		"Content-Length: 0\r\n\r\n"
	if _, err := conn.Write([]byte(msg)); err != nil {
		p.t.Fatal(err)
	}
	return p.wait(30 * time.Second)
}
