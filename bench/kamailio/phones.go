package main

import (
	"context"
	"fmt"
	"net"

	"github.com/sipsim/sipsim/bench/internal/rig"
)

// registerPhones registers extensions 100 .. 100+n-1 with Kamailio (digest
// REGISTER, 401 then 200) from a socket on the agent's port, then closes
// the socket: the agent SIPp, started on that port afterwards, answers
// every phone's calls, as the location table has them all at its address.
func registerPhones(ctx context.Context, kamAddr string, agentPort, n int, domain, password string) error {
	conn, err := net.ListenPacket("udp4", fmt.Sprintf("127.0.0.1:%d", agentPort))
	if err != nil {
		return err
	}
	defer conn.Close()
	logins := make([]rig.Login, n)
	for i := range logins {
		logins[i] = rig.Login{Ext: 100 + i, Domain: domain, Password: password}
	}
	return rig.RegisterAll(ctx, kamAddr, logins, 2000, []net.PacketConn{conn})
}
