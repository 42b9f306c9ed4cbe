package main

import (
	"context"
	"crypto/rand"
	"encoding/base32"
	"log/slog"
	"net"
	"os"
	"strings"
	"time"

	"github.com/sipsim/sipsim"
	"github.com/sipsim/sipsim/calls"
	"github.com/sipsim/sipsim/postgres"
)

// Each `serve` process is a node: an id drawn at start, so that a process
// restarted after a crash is a new node whose predecessor's calls the
// cluster closes (see calls/cluster.go). On PostgreSQL the nodes share the
// database and work as a cluster; on SQLite the one node does it all.

// newNode is this process as a node: a new random id ("node_" and 20
// base32 characters, 100 bits), the operator's name for it (the host name
// when none is given) and where it takes SIP.
func newNode(name, publicAddr, sipAddr string, now time.Time) sipsim.Node {
	if name == "" {
		name, _ = os.Hostname()
	}
	b := make([]byte, 13)
	rand.Read(b) // never fails (crypto/rand)
	id := "node_" + strings.ToLower(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(b))[:20]
	addr := sipAddr
	if _, port, err := net.SplitHostPort(sipAddr); err == nil {
		addr = net.JoinHostPort(publicAddr, port)
	}
	return sipsim.Node{ID: id, Name: name, SIPAddr: addr, StartedAt: now}
}

// clusterStore is the store nodes share, or nil when the database is a
// SQLite file that only this node uses.
func clusterStore(db store) sipsim.NodeStore {
	if pg, ok := db.(*postgres.DB); ok {
		return pg
	}
	return nil
}

// startCluster joins the cluster and runs this node's share of its work
// (heartbeats, sweeping the calls of dead nodes, taking the calls
// dispatched to it and the hang-ups asked of it) until the returned stop
// is called, after the calls have drained; stop then removes the node. On
// SQLite it only logs the node.
func startCluster(ctx context.Context, db store, svc *calls.Service, node sipsim.Node, lease time.Duration, log *slog.Logger) (stop func(), err error) {
	pg, ok := db.(*postgres.DB)
	if !ok {
		log.Info("node", "node_id", node.ID, "node_name", node.Name, "cluster", false)
		return func() {}, nil
	}
	if err := svc.JoinCluster(ctx); err != nil {
		return nil, err
	}
	log.Info("node joined the cluster", "node_id", node.ID, "node_name", node.Name, "sip", node.SIPAddr, "lease", lease)
	runCtx, cancel := context.WithCancel(context.Background())
	wake := make(chan struct{}, 1)
	signals := postgres.ClusterSignals{
		Dispatched: func() {
			select {
			case wake <- struct{}{}:
			default: // a claim is due already
			}
		},
		Cancel: svc.HangUpRequested,
		Disconnected: func(err error, retryIn time.Duration) {
			log.Warn("cluster notifications lost; polling meanwhile", "err", err, "retry_in", retryIn)
		},
	}
	listening := make(chan struct{})
	go func() {
		defer close(listening)
		pg.ListenCluster(runCtx, node.ID, signals)
	}()
	running := make(chan struct{})
	go func() {
		defer close(running)
		svc.RunCluster(runCtx, wake)
	}()
	return func() {
		cancel()
		<-listening
		<-running
	}, nil
}
