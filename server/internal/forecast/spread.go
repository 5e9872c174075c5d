package forecast

import (
	"math"
	"math/rand/v2"
	"slices"
	"time"
)

// Spread is the randomness around the means, as measured in the centre,
// that ProjectSpread draws from.
type Spread struct {
	// Sigma is the lognormal shape of each field's service times (the
	// standard deviation of their logarithm); a field without one uses
	// DefaultSigma.
	Sigma map[string]float64
	// NoShow is the share of calls nobody answers; such a call holds its
	// counter for NoShowHold instead of a service.
	NoShow     float64
	NoShowHold time.Duration
	// Breaks are the pauses clerks took after recent services (mostly 0):
	// after each replayed service one of them, drawn at random, follows.
	Breaks []time.Duration
	// PriorityPerHour is the expected priority arrivals per hour per field:
	// they arrive while the queue moves and go first.
	PriorityPerHour map[string]float64
	// Paths is how many replays the estimate is the median of (default
	// DefaultPaths).
	Paths int
	// Seed makes the draws repeatable: the same state gives the same
	// estimate, so a waiting citizen's estimate does not jitter.
	Seed uint64
}

// DefaultSigma is the service-time spread assumed for a field until enough
// of its services were measured (0.5: most services near the mean, a few
// twice as long).
const DefaultSigma = 0.5

// DefaultPaths is how many replays ProjectSpread takes the median of.
const DefaultPaths = 101

// ProjectSpread returns, for every waiting ticket that some open counter
// serves, the median of its wait over many replays of the call-next
// policy (see Project) in which every service time is drawn from its
// field's measured spread, the services in progress run on from where they
// are, some calls are no-shows, clerks now and then pause, and priority
// tickets keep arriving and going first. The median is the estimate with
// the smallest expected absolute error; the spread's quantiles are what a
// range would show. Pauses come from Spread.Breaks only (in.Pause, their
// mean, is what Project uses instead). It is a pure function: the same
// input and seed give the same answer.
func ProjectSpread(in ProjectInput, sp Spread) map[string]time.Duration {
	p := newPlan(in)
	paths := sp.Paths
	if paths <= 0 {
		paths = DefaultPaths
	}
	d := &draws{rng: rand.New(rand.NewPCG(sp.Seed, sp.Seed^0x5eed)), sp: &sp,
		sigma: make([]float64, len(p.fieldIDs)), rate: make([]float64, len(p.fieldIDs))}
	for f, id := range p.fieldIDs {
		d.sigma[f] = DefaultSigma
		if s, ok := sp.Sigma[id]; ok && s >= 0 {
			d.sigma[f] = s
		}
		// At most one arrival a second; no rate for nonsense.
		if r := sp.PriorityPerHour[id]; r > 0 && !math.IsInf(r, 0) {
			d.rate[f] = min(r, 3600) / 3600
		}
	}
	n := len(p.tickets)
	all := make([]float64, paths*n)
	for k := range paths {
		p.run(d, all[k*n:(k+1)*n], nil)
	}
	out := make(map[string]time.Duration, n)
	col := make([]float64, paths)
	for i := range n {
		for k := range paths {
			col[k] = all[k*n+i]
		}
		if math.IsNaN(col[0]) {
			continue
		}
		slices.Sort(col)
		out[p.tickets[i].ID] = time.Duration(math.Round(col[paths/2] * float64(time.Second)))
	}
	return out
}
