package storesql

import (
	"reflect"
	"testing"
	"time"

	"github.com/sipsim/sipsim"
)

// What DispatchArgs writes, scanned back into DispatchCols, is the same
// dispatch: each store relies on the two agreeing.
func TestDispatchRoundTrip(t *testing.T) {
	for _, d := range []*sipsim.CallDispatch{
		nil,
		{CallerIDName: "Acme", AutoAnswer: true, AgentRingTimeout: 12500 * time.Millisecond},
		{Claimed: true},
	} {
		args := DispatchArgs(d)
		cols := DispatchCols{State: args[0].(string), CallerIDName: args[1].(string), AutoAnswer: args[2].(bool), AgentRingMS: args[3].(int64)}
		if got := cols.Dispatch(); !reflect.DeepEqual(got, d) {
			t.Errorf("%+v came back as %+v", d, got)
		}
	}
}
