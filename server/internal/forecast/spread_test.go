package forecast

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
	"time"
)

// spreadInput is a small centre: two counters, one serving a and b, one
// serving a; the first is busy.
func spreadInput() ProjectInput {
	t0 := time.Date(2026, 11, 30, 8, 0, 0, 0, time.UTC)
	at := func(m int) time.Time { return t0.Add(time.Duration(m) * time.Minute) }
	return ProjectInput{
		Counters: []ProjectCounter{
			{ID: "q1", ServiceIDs: []string{"a", "b"}, Busy: true, Remaining: 3 * time.Minute},
			{ID: "q2", ServiceIDs: []string{"a"}, Mean: map[string]time.Duration{"a": 12 * time.Minute}},
		},
		Waiting: []ProjectTicket{{"a1", "a", false, at(1)}, {"b1", "b", false, at(2)}, {"a2", "a", false, at(3)},
			{"p1", "b", true, at(4)}, {"a3", "a", false, at(5)}, {"b2", "b", false, at(6)}, {"x1", "x", false, at(0)}},
		Mean: map[string]time.Duration{"a": 10 * time.Minute, "b": 4 * time.Minute},
	}
}

// With no spread at all, every replay is Project's.
func TestProjectSpreadWithoutSpreadIsProject(t *testing.T) {
	in := spreadInput()
	in.Pause = 0
	want := Project(in)
	got := ProjectSpread(in, Spread{Sigma: map[string]float64{"a": 0, "b": 0}, Paths: 5})
	if len(got) != len(want) || len(want) != 6 {
		t.Fatalf("got %v, want %v", got, want)
	}
	for id, w := range want {
		if got[id] != w {
			t.Errorf("%s: %v, want %v", id, got[id], w)
		}
	}
	// Pauses come from Spread.Breaks; in.Pause (Project's mean) is not
	// added on top.
	in.Pause = 5 * time.Minute
	again := ProjectSpread(in, Spread{Sigma: map[string]float64{"a": 0, "b": 0}, Paths: 5})
	for id, w := range want {
		if again[id] != w {
			t.Errorf("with in.Pause %s: %v, want %v", id, again[id], w)
		}
	}
}

func TestProjectSpreadIsRepeatable(t *testing.T) {
	in := spreadInput()
	sp := Spread{NoShow: 0.1, NoShowHold: 2 * time.Minute, Breaks: []time.Duration{0, 0, 9 * time.Minute}, PriorityPerHour: map[string]float64{"b": 2}, Seed: 7}
	a, b := ProjectSpread(in, sp), ProjectSpread(in, sp)
	for id := range a {
		if a[id] != b[id] {
			t.Fatalf("%s: %v then %v", id, a[id], b[id])
		}
	}
}

// The median of a sum of lognormal services, against a direct Monte Carlo
// written independently of the replay.
func TestProjectSpreadMedianOfServices(t *testing.T) {
	const sigma = 0.5
	m := 8 * time.Minute
	t0 := time.Date(2026, 11, 30, 8, 0, 0, 0, time.UTC)
	in := ProjectInput{Counters: []ProjectCounter{{ID: "q1", ServiceIDs: []string{"a"}}}, Mean: map[string]time.Duration{"a": m}}
	for i := range 4 {
		in.Waiting = append(in.Waiting, ProjectTicket{ID: string(rune('0' + i)), ServiceID: "a", IssuedAt: t0.Add(time.Duration(i) * time.Second)})
	}
	got := ProjectSpread(in, Spread{Sigma: map[string]float64{"a": sigma}, Paths: 4001, Seed: 1})
	rng := rand.New(rand.NewPCG(99, 99))
	sums := make([]float64, 40000)
	mu := math.Log(m.Seconds()) - sigma*sigma/2
	for i := range sums {
		for range 3 {
			sums[i] += math.Exp(mu + sigma*rng.NormFloat64())
		}
	}
	slices.Sort(sums)
	want := sums[len(sums)/2]
	if g := got["3"].Seconds(); math.Abs(g-want)/want > 0.03 {
		t.Fatalf("median wait behind 3 services %.0f s, want %.0f s", g, want)
	}
	if got["0"] != 0 {
		t.Fatalf("first ticket at a free counter waits %v", got["0"])
	}
	// The median of a right-skewed sum sits below its mean (3 m).
	if got["3"] >= 3*m {
		t.Fatalf("median %v not below the mean %v", got["3"], 3*m)
	}
}

// The rest of a service that has run e: the mean of the draws against the
// lognormal mean residual life m·Φ(σ−z₀)/(1−Φ(z₀)) − e.
func TestResidualService(t *testing.T) {
	const sigma, m, e = 0.5, 600.0, 900.0
	d := &draws{rng: rand.New(rand.NewPCG(3, 4))}
	var sum float64
	const n = 50000
	for range n {
		r := d.residual(m, sigma, e)
		if r < 0 {
			t.Fatalf("negative rest %v", r)
		}
		sum += r
	}
	phi := func(x float64) float64 { return 0.5 * math.Erfc(-x/math.Sqrt2) }
	z0 := (math.Log(e) - (math.Log(m) - sigma*sigma/2)) / sigma
	want := m*phi(sigma-z0)/(1-phi(z0)) - e
	if got := sum / n; math.Abs(got-want)/want > 0.03 {
		t.Fatalf("mean rest after %v s: %.0f s, want %.0f s", e, got, want)
	}
	if got := d.residual(m, 0, 200); got != 400 {
		t.Fatalf("no spread: rest %v, want 400", got)
	}
	// Far in the tail (a 10 min service at 50 min with σ = 0.2, and one
	// beyond any float): still a positive, finite rest.
	for _, e := range []float64{3000, 1e9} {
		if got := d.residual(600, 0.2, e); !(got > 0) || math.IsInf(got, 0) || got > e {
			t.Fatalf("rest after %v s: %v", e, got)
		}
	}
}

func TestProjectSpreadNoShowsBreaksAndLaterPriority(t *testing.T) {
	t0 := time.Date(2026, 11, 30, 8, 0, 0, 0, time.UTC)
	in := ProjectInput{Counters: []ProjectCounter{{ID: "q1", ServiceIDs: []string{"a"}}}, Mean: map[string]time.Duration{"a": 10 * time.Minute},
		Waiting: []ProjectTicket{{"p0", "a", true, t0}, {"p1", "a", true, t0.Add(time.Second)}, {"r1", "a", false, t0}, {"r2", "a", false, t0.Add(time.Second)}}}
	steady := map[string]float64{"a": 0}
	// Everybody is gone when called: each call holds the counter 2 min.
	got := ProjectSpread(in, Spread{Sigma: steady, NoShow: 1, NoShowHold: 2 * time.Minute})
	if got["r2"] != 6*time.Minute {
		t.Fatalf("three no-shows ahead: %v, want 6m", got["r2"])
	}
	// A 5 min pause after every service.
	got = ProjectSpread(in, Spread{Sigma: steady, Breaks: []time.Duration{5 * time.Minute}})
	if got["r2"] != 45*time.Minute {
		t.Fatalf("three services and pauses ahead: %v, want 45m", got["r2"])
	}
	// Later priority arrivals overtake regular tickets, not the priority
	// tickets already waiting.
	calm := ProjectSpread(in, Spread{Sigma: steady})
	busy := ProjectSpread(in, Spread{Sigma: steady, PriorityPerHour: map[string]float64{"a": 4}})
	// Nonsense rates neither hang nor count.
	if odd := ProjectSpread(in, Spread{Sigma: steady, PriorityPerHour: map[string]float64{"a": math.Inf(1), "b": math.NaN()}, Paths: 3}); odd["r2"] <= 0 {
		t.Fatalf("infinite rate: %v", odd)
	}
	if busy["p1"] != calm["p1"] {
		t.Fatalf("a waiting priority ticket moved: %v, was %v", busy["p1"], calm["p1"])
	}
	if busy["r2"] <= calm["r2"] {
		t.Fatalf("later priority arrivals did not delay r2: %v, was %v", busy["r2"], calm["r2"])
	}
}

// A priority ticket waiting now goes before later priority arrivals of
// another field the counter serves.
func TestProjectSpreadWaitingPriorityBeforeLaterArrivals(t *testing.T) {
	t0 := time.Date(2026, 11, 30, 8, 0, 0, 0, time.UTC)
	in := ProjectInput{Counters: []ProjectCounter{{ID: "q1", ServiceIDs: []string{"b", "a"}, Busy: true, Remaining: 10 * time.Minute}},
		Mean: map[string]time.Duration{"a": 10 * time.Minute, "b": 10 * time.Minute}, Waiting: []ProjectTicket{{"pa", "a", true, t0}}}
	got := ProjectSpread(in, Spread{PriorityPerHour: map[string]float64{"b": 60}})
	if got["pa"] != 10*time.Minute {
		t.Fatalf("pa waits %v, want 10m (when the counter is free)", got["pa"])
	}
}

func TestProjectRanges(t *testing.T) {
	t0 := time.Date(2026, 11, 30, 8, 0, 0, 0, time.UTC)
	m := 10 * time.Minute
	in := ProjectInput{Counters: []ProjectCounter{{ID: "q1", ServiceIDs: []string{"a"}}}, Mean: map[string]time.Duration{"a": m},
		Sigma: map[string]float64{"a": 0.5}, Waiting: []ProjectTicket{{"t0", "a", false, t0}, {"t1", "a", false, t0.Add(time.Second)}, {"t2", "a", false, t0.Add(2 * time.Second)}}}
	got := ProjectRanges(in)
	if r := got["t0"]; r != (Range{}) {
		t.Fatalf("called at once: %+v, want no range", r)
	}
	// t2 waits for two services: mean 20 min, variance 2·(cv·m)².
	r := got["t2"]
	w, v := 2*m.Seconds(), 2*math.Expm1(0.25)*m.Seconds()*m.Seconds()
	s := math.Sqrt(math.Log1p(v / (w * w)))
	mu := math.Log(w) - s*s/2
	lo, hi := math.Exp(mu-1.2816*s), math.Exp(mu+1.2816*s)
	if r.Wait != 2*m || math.Abs(r.Low.Seconds()-lo) > 1 || math.Abs(r.High.Seconds()-hi) > 1 {
		t.Fatalf("t2: %+v, want %v in [%.0f s, %.0f s]", r, 2*m, lo, hi)
	}
	// The same range, checked against the lognormal it claims: 80 % of
	// draws of a lognormal with that mean and variance fall inside.
	rng := rand.New(rand.NewPCG(5, 6))
	inside := 0
	for range 20000 {
		x := math.Exp(mu + s*rng.NormFloat64())
		if x >= r.Low.Seconds() && x <= r.High.Seconds() {
			inside++
		}
	}
	if share := float64(inside) / 20000; math.Abs(share-0.8) > 0.01 {
		t.Fatalf("the range holds %.3f of its lognormal, want 0.8", share)
	}
	// Widen scales the spread around the same centre.
	in.Widen = 2
	wide := ProjectRanges(in)["t2"]
	if wide.Wait != r.Wait || wide.Low >= r.Low || wide.High <= r.High {
		t.Fatalf("widened %+v, was %+v", wide, r)
	}
	if d := math.Log(wide.High.Seconds()) - math.Log(r.High.Seconds()); math.Abs(d-1.2816*s) > 0.01 {
		t.Fatalf("widened by %.3f in log, want %.3f", d, 1.2816*s)
	}
}
