package metrics

import "github.com/prometheus/client_golang/prometheus"

// RTPFlow counts one direction of the relay since the node started.
type RTPFlow struct {
	Relayed uint64 // packets forwarded to the other side
	// Lost are the gaps in the sequence numbers of the packets forwarded,
	// per source: packets the peer sent that never arrived (or arrived too
	// late to be told from loss; a packet reordered past a newer one is
	// counted lost as well).
	Lost uint64
	// Dropped are the packets read and not forwarded: not RTP, from a
	// source other than the peer, before the call let them through, or a
	// payload type not negotiated.
	Dropped uint64
}

// RTPCounts are the relay's counters, per direction.
type RTPCounts struct {
	PhoneToCarrier, CarrierToPhone RTPFlow
}

// RTP registers sipsim_rtp_packets_relayed_total,
// sipsim_rtp_packets_lost_total and sipsim_rtp_packets_dropped_total, each
// by direction ("phone_to_carrier", "carrier_to_phone"), read from counts
// at scrape time.
func (r *Registry) RTP(counts func() RTPCounts) {
	relayed := newDesc("rtp_packets_relayed_total", "RTP packets the media relay forwarded, by direction.", "direction")
	lost := newDesc("rtp_packets_lost_total", "Gaps in the sequence numbers of the RTP streams relayed: packets the sender's network lost, by direction.", "direction")
	dropped := newDesc("rtp_packets_dropped_total", "Datagrams the media relay read and did not forward (not RTP, wrong source, not yet connected, codec not negotiated), by direction.", "direction")
	r.reg.MustRegister(scraped{
		descs: []*prometheus.Desc{relayed, lost, dropped},
		collect: func(ch chan<- prometheus.Metric) {
			c := counts()
			for _, f := range []struct {
				direction string
				flow      RTPFlow
			}{{"phone_to_carrier", c.PhoneToCarrier}, {"carrier_to_phone", c.CarrierToPhone}} {
				ch <- prometheus.MustNewConstMetric(relayed, prometheus.CounterValue, float64(f.flow.Relayed), f.direction)
				ch <- prometheus.MustNewConstMetric(lost, prometheus.CounterValue, float64(f.flow.Lost), f.direction)
				ch <- prometheus.MustNewConstMetric(dropped, prometheus.CounterValue, float64(f.flow.Dropped), f.direction)
			}
		},
	})
}
