package view

import (
	"strings"
	"testing"
	"time"

	"github.com/civiq/civiq/server/protocol"
)

// TestDisruptionNotice: open disruptions on the board put one calm notice
// in the banner strip, in the language shown, with the counters' numbers;
// a centre-wide one speaks for all; none leaves the strip empty.
func TestDisruptionNotice(t *testing.T) {
	counters := []protocol.CounterState{
		{Counter: protocol.Counter{ID: "q2", Number: 2}},
		{Counter: protocol.Counter{ID: "q5", Number: 5}},
	}
	at := time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC)
	cases := []struct {
		name string
		ds   []protocol.Disruption
		lang string
		want string
	}{
		{"none", nil, "vi", ""},
		{"two counters", []protocol.Disruption{
			{ID: "d1", Cause: "one_stop_software", CounterIDs: []string{"q5"}, StartedAt: at},
			{ID: "d2", Cause: "one_stop_software", CounterIDs: []string{"q2"}, StartedAt: at},
		}, "vi", "Phần mềm một cửa đang gián đoạn tại quầy 2, 5, thời gian chờ có thể lâu hơn. Xin cảm ơn quý vị đã kiên nhẫn."},
		{"two causes, English", []protocol.Disruption{
			{ID: "d1", Cause: "printer", CounterIDs: []string{"q2"}, StartedAt: at},
			{ID: "d2", Cause: "network", CounterIDs: []string{"q2", "q5"}, StartedAt: at},
		}, "en", "A printer is out of order at counter 2; the network is temporarily down at counters 2, 5; waits may be longer. Thank you for your patience."},
		{"centre-wide speaks for all", []protocol.Disruption{
			{ID: "d1", Cause: "printer", CounterIDs: []string{"q2"}, StartedAt: at},
			{ID: "d2", Cause: "power", CounterIDs: []string{}, StartedAt: at},
		}, "vi", "Điện đang gián đoạn, thời gian chờ có thể lâu hơn. Xin cảm ơn quý vị đã kiên nhẫn."},
		{"unknown cause", []protocol.Disruption{{ID: "d1", Cause: "flood", StartedAt: at}}, "en",
			"Service is temporarily disrupted; waits may be longer. Thank you for your patience."},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			b := protocol.Board{Counters: counters, Disruptions: c.ds}
			m := Build(b, Input{Lang: c.lang, Now: at, Online: true})
			var got []string
			for _, bn := range m.Banners {
				if bn.Kind == BannerNotice {
					got = append(got, bn.Text)
				}
			}
			if c.want == "" {
				if len(got) != 0 {
					t.Fatalf("notices %q, want none", got)
				}
				return
			}
			if len(got) != 1 || got[0] != c.want {
				t.Fatalf("notices %q\nwant %q", got, c.want)
			}
			if strings.Contains(strings.Join(got, ""), "đang kết nối") {
				t.Fatal("a disruption is not the offline banner")
			}
		})
	}
}
