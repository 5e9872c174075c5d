package forecast

import (
	"testing"
	"time"
)

func TestEstimateWait(t *testing.T) {
	m := 5 * time.Minute
	cases := []struct {
		in   ETAInput
		want time.Duration
	}{
		{ETAInput{Ahead: 0, MeanService: m, Servers: 1, FreeServers: 1}, 0},
		{ETAInput{Ahead: 0, MeanService: m, Servers: 1}, 5 * time.Minute},
		{ETAInput{Ahead: 3, MeanService: m, Servers: 1}, 20 * time.Minute},
		{ETAInput{Ahead: 3, MeanService: m, Servers: 2}, 10 * time.Minute},
		{ETAInput{Ahead: 3, MeanService: m, Servers: 2, FreeServers: 1}, 7*time.Minute + 30*time.Second},
		{ETAInput{Ahead: 1, Servers: 0}, 10 * time.Minute}, // default service time, at least one counter
	}
	for _, c := range cases {
		if got := EstimateWait(c.in); got != c.want {
			t.Errorf("%+v: %v, want %v", c.in, got, c.want)
		}
	}
}
