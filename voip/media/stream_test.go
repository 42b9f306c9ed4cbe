package media

import "testing"

func TestOutStreamNumbering(t *testing.T) {
	type in struct {
		source  uint64
		seq     uint16
		ts      uint32
		samples int
	}
	type out struct {
		seq      uint16
		ts       uint32
		switched bool
	}
	tests := []struct {
		name  string
		steps []in
		want  []out
	}{
		{
			name:  "first packet starts at the random base, then follows the source",
			steps: []in{{1, 500, 9000, 160}, {1, 501, 9160, 160}, {1, 503, 9480, 160}},
			want:  []out{{100, 1000, true}, {101, 1160, false}, {103, 1480, false}},
		},
		{
			name:  "a reordered packet keeps its place",
			steps: []in{{1, 500, 9000, 160}, {1, 502, 9320, 160}, {1, 501, 9160, 160}, {1, 503, 9480, 160}},
			want:  []out{{100, 1000, true}, {102, 1320, false}, {101, 1160, false}, {103, 1480, false}},
		},
		{
			name:  "a new source continues one frame on",
			steps: []in{{1, 500, 9000, 160}, {2, 7, 123456, 160}, {2, 8, 123616, 160}},
			want:  []out{{100, 1000, true}, {101, 1160, true}, {102, 1320, false}},
		},
		{
			name:  "the frame is learnt from the audio (30 ms packets)",
			steps: []in{{1, 500, 9000, 240}, {1, 501, 9240, 240}, {2, 0, 0, 240}},
			want:  []out{{100, 1000, true}, {101, 1240, false}, {102, 1480, true}},
		},
		{
			name:  "events do not change the frame",
			steps: []in{{1, 500, 9000, 160}, {1, 501, 9160, 0}, {2, 0, 0, 160}},
			want:  []out{{100, 1000, true}, {101, 1160, false}, {102, 1320, true}},
		},
		{
			name:  "a source that jumps far restarts the mapping",
			steps: []in{{1, 500, 9000, 160}, {1, 20000, 5, 160}},
			want:  []out{{100, 1000, true}, {101, 1160, true}},
		},
		{
			name:  "sequence wrap-around is not a jump",
			steps: []in{{1, 65535, 9000, 160}, {1, 0, 9160, 160}},
			want:  []out{{100, 1000, true}, {101, 1160, false}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := newOutStream(0xABCD, 100, 1000)
			for i, s := range tt.steps {
				seq, ts, sw := o.next(s.source, s.seq, s.ts, s.samples)
				if got := (out{seq, ts, sw}); got != tt.want[i] {
					t.Errorf("step %d: got %+v, want %+v", i, got, tt.want[i])
				}
			}
		})
	}
}
