package forecast

// BenchmarkProject measures the projection at growing queues (see MaxProjected).

import (
	"fmt"
	"testing"
	"time"
)

func BenchmarkProject(b *testing.B) {
	for _, n := range []int{100, 1000, 4000} {
		in := ProjectInput{Mean: map[string]time.Duration{}}
		fields := []string{"a", "b", "c", "d", "e", "f", "g", "h"}
		for i := range 8 {
			in.Counters = append(in.Counters, ProjectCounter{ID: fmt.Sprint(i), ServiceIDs: []string{fields[i], fields[(i+1)%8]}, Busy: true, Remaining: time.Minute})
		}
		t0 := time.Now()
		for i := range n {
			in.Waiting = append(in.Waiting, ProjectTicket{ID: fmt.Sprint(i), ServiceID: fields[i%8], Priority: i%13 == 0, IssuedAt: t0.Add(time.Duration(i) * time.Second)})
		}
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			for b.Loop() {
				Project(in)
			}
		})
	}
}

// BenchmarkProjectSpread measures DefaultPaths replays with every kind of
// randomness (the simulator's oracle).
func BenchmarkProjectSpread(b *testing.B) {
	fields := []string{"a", "b", "c", "d", "e", "f", "g", "h"}
	in := ProjectInput{Mean: map[string]time.Duration{}}
	sp := Spread{NoShow: 0.05, NoShowHold: 2 * time.Minute, Breaks: []time.Duration{0, 0, 0, 10 * time.Minute}, PriorityPerHour: map[string]float64{}}
	for i := range 8 {
		in.Counters = append(in.Counters, ProjectCounter{ID: fmt.Sprint(i), ServiceIDs: []string{fields[i], fields[(i+1)%8]}, Busy: true, Current: fields[i], Elapsed: time.Minute})
		sp.PriorityPerHour[fields[i]] = 0.5
	}
	t0 := time.Now()
	for i := range 100 {
		in.Waiting = append(in.Waiting, ProjectTicket{ID: fmt.Sprint(i), ServiceID: fields[i%8], Priority: i%13 == 0, IssuedAt: t0.Add(time.Duration(i) * time.Second)})
	}
	for b.Loop() {
		ProjectSpread(in, sp)
	}
}
