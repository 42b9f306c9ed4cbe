package main

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/sipsim/sipsim/bench/internal/rig"
)

// setupSipsim seeds and starts sipsim, registers the phones and starts
// the two SIPp peers. The cleanups it adds stop them all.
func setupSipsim(ctx context.Context, tmp string, o options, cleanups *[]func()) (*bench, error) {
	dir := filepath.Join(tmp, "sipsim")
	if err := os.Mkdir(dir, 0o750); err != nil {
		return nil, err
	}
	bin := o.bin
	if bin == "" {
		var err error
		if bin, err = rig.Build(ctx, dir); err != nil {
			return nil, err
		}
	}
	cfg := rig.ServerConfig{Bin: bin, DataDir: filepath.Join(dir, "data")}
	if err := os.Mkdir(cfg.DataDir, 0o750); err != nil {
		return nil, err
	}
	if o.db == "postgres" {
		url, drop, err := rig.NewSchema(ctx)
		if err != nil {
			return nil, err
		}
		// Added first, so it runs after the server has stopped.
		*cleanups = append(*cleanups, func() {
			if err := drop(); err != nil {
				fmt.Fprintln(os.Stderr, "bench/caps: drop schema:", err)
			}
		})
		cfg.DBURL = url
	}
	phones, tokens, err := seed(ctx, cfg, o.phones)
	if err != nil {
		return nil, err
	}
	ports, err := peerPorts()
	if err != nil {
		return nil, err
	}
	agentPort, carrierPort := ports[0], ports[1]
	cfg.Flags = []string{
		"--trunk", fmt.Sprintf("sip:127.0.0.1:%d", carrierPort),
		// Below the ephemeral ports, where the SIPp peers bind.
		"--rtp-ports", "20000-32000",
		// Every request comes from two SIPp addresses; the per-source
		// flood limit is there to stop exactly that.
		"--sip-request-rate", "-1",
		// SIPp sends no RTP here: calls must end by BYE, not media timeout.
		"--media-timeout", (o.hold + 30*time.Second).String(),
	}
	cfg.Flags = append(cfg.Flags, strings.Fields(o.serveFlags)...)
	cfg.Env = append(cfg.Env, strings.Fields(o.serveEnv)...)
	srv, err := rig.StartServer(ctx, cfg)
	if err != nil {
		return nil, err
	}
	*cleanups = append(*cleanups, srv.Stop)
	if err := registerPhones(ctx, srv.SIPPort, agentPort, phones); err != nil {
		return nil, err
	}
	pp, err := startPeers(dir, o, agentPort, carrierPort, ports[2], ports[3])
	if err != nil {
		return nil, err
	}
	*cleanups = append(*cleanups, pp.stop)
	sys := &sipsimSystem{srv: srv, tokens: tokens, client: &http.Client{Timeout: 10 * time.Second}}
	return &bench{sys: sys, dr: newDriver(phones, o.apiTimeout), pp: pp, search: newSearch(o)}, nil
}

// setupMinimal starts the minimal forwarding node and its own two SIPp
// peers, with the same scenarios.
func setupMinimal(ctx context.Context, tmp string, o options, cleanups *[]func()) (*bench, error) {
	dir := filepath.Join(tmp, "minimal")
	if err := os.Mkdir(dir, 0o750); err != nil {
		return nil, err
	}
	ports, err := peerPorts()
	if err != nil {
		return nil, err
	}
	agentPort, carrierPort := ports[0], ports[1]
	node, err := startMinimal(ctx, fmt.Sprintf("127.0.0.1:%d", agentPort), fmt.Sprintf("127.0.0.1:%d", carrierPort))
	if err != nil {
		return nil, err
	}
	*cleanups = append(*cleanups, node.stop)
	pp, err := startPeers(dir, o, agentPort, carrierPort, ports[2], ports[3])
	if err != nil {
		return nil, err
	}
	*cleanups = append(*cleanups, pp.stop)
	// The node needs no account, token or registration: phone i is
	// extension i at the agent SIPp.
	phones := make([]phone, o.phones)
	for i := range phones {
		phones[i] = phone{ID: int64(rig.FirstExtension + i), Token: "unused"}
	}
	return &bench{sys: node, dr: newDriver(phones, o.apiTimeout), pp: pp, search: newSearch(o)}, nil
}

// registerPhones registers every phone from one socket bound to the agent
// SIPp's port, then closes it: the registrar sends each phone's calls to
// the address its REGISTER came from, where SIPp will then listen.
func registerPhones(ctx context.Context, sipPort, agentPort int, phones []phone) error {
	conn, err := net.ListenPacket("udp4", fmt.Sprintf("127.0.0.1:%d", agentPort))
	if err != nil {
		return err
	}
	defer conn.Close()
	logins := make([]rig.Login, len(phones))
	for i, p := range phones {
		logins[i] = p.Login
	}
	return rig.RegisterAll(ctx, fmt.Sprintf("127.0.0.1:%d", sipPort), logins, 2000, []net.PacketConn{conn})
}
