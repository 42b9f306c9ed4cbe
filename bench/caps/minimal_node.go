package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/sipsim/sipsim/bench/internal/rig"
)

// The minimal node is the ceiling: the same job as sipsim's click-to-call
// (HTTP POST in, 201 out, agent INVITE, then trunk INVITE, BYE relayed)
// with nothing else: no database, no auth, no limits, no media relay. It
// runs as a process of its own, as sipsim does, started by re-executing
// this program with --minimal-node.

// serveMinimal is the child process. It prints "HTTPADDR SIPPORT" on
// stdout once it listens, and runs until SIGTERM (sent by the parent, or by the
// kernel when the parent dies).
func serveMinimal(agent, trunk string) error {
	agentAddr, err := net.ResolveUDPAddr("udp4", agent)
	if err != nil {
		return err
	}
	trunkAddr, err := net.ResolveUDPAddr("udp4", trunk)
	if err != nil {
		return err
	}
	conn, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		return err
	}
	// As large a receive buffer as SIPp's -buff_size: the ceiling must
	// not be the default 208 KiB, which a short stall of the one reading
	// goroutine overflows at these rates. (sipsim keeps the default; its
	// drops are reported per step.)
	_ = conn.SetReadBuffer(4 << 20)
	f := newForwarder(conn, agentAddr, trunkAddr)
	go f.serve()
	var seq atomic.Uint64
	mux := http.NewServeMux()
	mux.HandleFunc("POST /api/v2/calls", func(w http.ResponseWriter, r *http.Request) {
		var in struct {
			PhoneID      int64  `json:"phone_id"`
			TargetNumber string `json:"target_number"`
		}
		if err := json.NewDecoder(r.Body).Decode(&in); err != nil || in.PhoneID <= 0 || in.TargetNumber == "" {
			http.Error(w, `{"status":400}`, http.StatusBadRequest)
			return
		}
		id := fmt.Sprintf("call_min%010d", seq.Add(1))
		f.start(id, in.PhoneID, in.TargetNumber)
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusCreated)
		_ = json.NewEncoder(w).Encode(map[string]any{
			"status": 201, "request_id": id, "timestamp": time.Now().UTC().Format(time.RFC3339Nano),
			"data": map[string]any{"id": id, "status": "initiating", "phone_id": in.PhoneID, "target_number": in.TargetNumber},
		})
	})
	mux.HandleFunc("GET /unfinished", func(w http.ResponseWriter, _ *http.Request) {
		active, failed := f.unfinished()
		_ = json.NewEncoder(w).Encode(map[string][]string{"active": active, "failed": failed})
	})
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		return err
	}
	fmt.Println(ln.Addr().String(), conn.LocalAddr().(*net.UDPAddr).Port)
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	return srv.Serve(ln)
}

// minimalSystem is the running child, seen from the benchmark.
type minimalSystem struct {
	addr    string
	sipPort int
	proc    *rig.Child
	client  *http.Client
}

// startMinimal starts this program again as the minimal node, sending
// agent INVITEs to agent and trunk INVITEs to trunk.
func startMinimal(ctx context.Context, agent, trunk string) (*minimalSystem, error) {
	proc, line, err := rig.StartSelf("--minimal-node", "--minimal-agent", agent, "--minimal-trunk", trunk)
	if err != nil {
		return nil, err
	}
	m := &minimalSystem{proc: proc, client: &http.Client{Timeout: 10 * time.Second}}
	if _, err := fmt.Sscan(line, &m.addr, &m.sipPort); err != nil {
		m.stop()
		return nil, fmt.Errorf("minimal node said %q: %w", line, err)
	}
	if ctx.Err() != nil {
		m.stop()
		return nil, ctx.Err()
	}
	return m, nil
}

func (m *minimalSystem) Name() string     { return "minimal" }
func (m *minimalSystem) CallsURL() string { return "http://" + m.addr + "/api/v2/calls" }
func (m *minimalSystem) PID() int         { return m.proc.PID() }
func (m *minimalSystem) SIPPort() int     { return m.sipPort }

// Settle asks the node for the calls still up until there are none, then
// returns those that failed (and any still up).
func (m *minimalSystem) Settle(ctx context.Context, limit time.Duration) (map[string]string, error) {
	deadline := time.Now().Add(limit)
	for {
		var got struct{ Active, Failed []string }
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+m.addr+"/unfinished", nil)
		if err != nil {
			return nil, err
		}
		resp, err := m.client.Do(req)
		if err != nil {
			return nil, err
		}
		err = json.NewDecoder(resp.Body).Decode(&got)
		resp.Body.Close()
		if err != nil {
			return nil, err
		}
		if len(got.Active) == 0 || time.Now().After(deadline) {
			bad := map[string]string{}
			for _, id := range got.Active {
				bad[id] = "still up"
			}
			for _, id := range got.Failed {
				bad[id] = "failed"
			}
			return bad, nil
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(500 * time.Millisecond):
		}
	}
}

func (m *minimalSystem) stop() { m.proc.Stop(5 * time.Second) }
