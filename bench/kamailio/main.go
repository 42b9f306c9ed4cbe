// Command kamailio measures Kamailio, Debian's SIP server, doing what
// sipsim does, click-to-call, with its dialog module's dlg.bridge_dlg, so
// that sipsim's call-rate benchmark (bench/caps) has a reference to be
// read against (issue #7). Kamailio (configuration: kamailio.cfg, written
// for this benchmark) gets one JSON-RPC request over HTTP per call, as a
// CRM would send it; it INVITEs the phone through its own location
// lookup, REFERs it to the target and hangs up; the phone, a SIPp UAS
// (agent.xml), then calls the target through Kamailio, which proxies the
// call to the carrier, another SIPp UAS (carrier.xml), which hangs up
// after --hold.
//
// The call rate rises step by step (RFC 7501): each step places calls
// open-loop at a fixed rate for --step-duration, waits until both SIPp
// peers have ended them, and counts a call as failed if its RPC failed or
// either peer failed it or never saw it. The ramp stops at the first step
// with a failure; the summary reports the highest step without one.
//
//	go run ./bench/kamailio
//
// It needs the Debian package kamailio (5.6) and sipp (sip-tester).
package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"syscall"
	"time"

	"github.com/sipsim/sipsim/bench/internal/rig"
)

type options struct {
	startRate, step, maxRate int
	stepDuration, hold       time.Duration
	phones                   int
	children, tcpChildren    int
}

func main() {
	var o options
	flag.IntVar(&o.startRate, "start-rate", 100, "calls per second of the first step")
	flag.IntVar(&o.step, "step", 100, "calls per second added at each step")
	flag.IntVar(&o.maxRate, "max-rate", 3000, "the last step's rate, if no step fails before")
	flag.DurationVar(&o.stepDuration, "step-duration", 5*time.Second, "how long each step places calls")
	flag.DurationVar(&o.hold, "hold", time.Second, "how long the carrier keeps each call up before hanging up")
	flag.IntVar(&o.phones, "phones", 2700, "registered phones (extensions 100 and up), called round-robin, as many as bench/caps seeds")
	flag.IntVar(&o.children, "children", 4, "Kamailio UDP worker processes")
	flag.IntVar(&o.tcpChildren, "tcp-children", 2, "Kamailio TCP (JSON-RPC over HTTP) worker processes")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, o)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench/kamailio:", err)
		os.Exit(1)
	}
}

// phoneDomain is the phones' SIP domain and digest realm.
const phoneDomain = "kamailio.bench"

// run does the whole benchmark; every process it starts is stopped by the
// time it returns, Ctrl-C included.
func run(ctx context.Context, o options) error {
	if o.startRate <= 0 || o.step <= 0 || o.maxRate < o.startRate || o.phones < 1 {
		return errors.New("need 0 < --start-rate <= --max-rate, --step > 0 and --phones > 0")
	}
	for _, tool := range []string{"kamailio", "sipp"} {
		if _, err := exec.LookPath(tool); err != nil {
			return fmt.Errorf("%s is not installed: apt-get install kamailio sip-tester (Debian 12: Kamailio 5.6)", tool)
		}
	}
	tmp, err := os.MkdirTemp("", "sipsim-bench-kamailio-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	ports, err := rig.FreePorts(4)
	if err != nil {
		return err
	}
	sipPort, httpPort, agentPort, carrierPort := ports[0], ports[1], ports[2], ports[3]
	agentMedia, err := rig.FreeSIPpMediaPort(ports)
	if err != nil {
		return err
	}
	carrierMedia, err := rig.FreeSIPpMediaPort(append(ports, agentMedia))
	if err != nil {
		return err
	}
	password := randomHex()
	kam, err := startKamailio(kamailioSettings{
		Dir: tmp, SIPPort: sipPort, HTTPPort: httpPort, CarrierPort: carrierPort,
		Password: password, Children: o.children, TCPChildren: o.tcpChildren,
	})
	if err != nil {
		return err
	}
	defer kam.stop()
	httpAddr := fmt.Sprintf("127.0.0.1:%d", httpPort)
	kamAddr := fmt.Sprintf("127.0.0.1:%d", sipPort)
	if err := waitRPC(ctx, kam, httpAddr); err != nil {
		return err
	}
	if err := registerPhones(ctx, kamAddr, agentPort, o.phones, phoneDomain, password); err != nil {
		return fmt.Errorf("register phones: %w\n%s", err, kam.logTail())
	}
	// A call waits at most a hold for any one message; the margin is for
	// a loaded machine. A call still waiting after it fails.
	recvTimeout := o.hold + 5*time.Second
	vars := scenarioSettings{HoldMS: o.hold.Milliseconds()}
	agent, err := startSIPp(tmp, "agent", agentScenario, vars, agentPort, agentMedia, recvTimeout)
	if err != nil {
		return err
	}
	defer agent.Stop()
	carrier, err := startSIPp(tmp, "carrier", carrierScenario, vars, carrierPort, carrierMedia, recvTimeout)
	if err != nil {
		return err
	}
	defer carrier.Stop()
	g := &setup{
		kam: kam, agent: agent, carrier: carrier,
		udpPorts: [3]int{sipPort, agentPort, carrierPort},
		bridger:  newBridger(httpAddr, phoneDomain, "sip:"+kamAddr, o.phones),
		settle:   recvTimeout + o.hold + 3*time.Second,
		hold:     o.hold,
	}
	if err := waitStats(ctx, g); err != nil {
		return err
	}
	if err := warmConnections(ctx, g.bridger); err != nil {
		return fmt.Errorf("kamailio JSON-RPC: %w", err)
	}

	fmt.Printf("bench/kamailio: Kamailio %s, %d UDP + %d TCP workers; %d phones; steps of %v from %d calls/s by %d; hold %v; machine load average %s; control socket %s\n",
		kamailioVersion(), o.children, o.tcpChildren, o.phones, o.stepDuration, o.startRate, o.step, o.hold, loadAverage(), kam.controlSocket())
	var best *stepResult
	// CPU per call over every passing step, as bench/caps reports it.
	var passingCPU time.Duration
	var passingCalls int
	for rate := o.startRate; rate <= o.maxRate; rate += o.step {
		res, err := g.runStep(ctx, rate, o.stepDuration)
		if err != nil {
			return err
		}
		fmt.Println(res)
		if res.Failed() > 0 {
			reportFailures(g)
			break
		}
		best = &res
		passingCPU += res.CPU
		passingCalls += res.Attempts
	}
	if best == nil {
		fmt.Printf("bench/kamailio: no step without failures (lowest step %d calls/s)\n", o.startRate)
		return nil
	}
	capped := ""
	if best.Rate+o.step > o.maxRate {
		capped = " (the last step: raise --max-rate to find the limit)"
	}
	cpuPerCall := passingCPU / time.Duration(passingCalls)
	fmt.Printf("bench/kamailio: %d calls/s with zero failures%s; RPC p50 %s p99 %s at %d calls/s; %.2f ms Kamailio CPU per call over the passing steps\n",
		best.Rate, capped, ms(best.P50), ms(best.P99), best.Rate, float64(cpuPerCall.Microseconds())/1000)
	return nil
}

func randomHex() string {
	b := make([]byte, 12)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// reportFailures shows, on stderr, what each SIPp says went wrong with
// the failed calls: the most frequent kinds of event in its error trace.
func reportFailures(g *setup) {
	for _, s := range []*sipp{g.agent, g.carrier} {
		for _, line := range s.failureKinds(4) {
			fmt.Fprintf(os.Stderr, "bench/kamailio: sipp %s: %s\n", s.Name, line)
		}
	}
}
