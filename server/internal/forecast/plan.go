package forecast

import (
	"cmp"
	"math"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/civiq/civiq/server/protocol"
)

// plan is a ProjectInput prepared for replaying the call-next policy many
// times: tickets and fields are numbered, and each field's queues are in
// call order. Project replays it once with every service at its mean;
// ProjectSpread replays it many times with services, no-shows, pauses and
// later priority arrivals drawn at random.
type plan struct {
	in        ProjectInput
	maxStreak int
	tickets   []ProjectTicket // in call order across the centre (oldest first)
	fieldIDs  []string
	prio, reg [][]int // per field: ticket indices, oldest first
	// book are per field the booked tickets not late at Now, by window
	// (bfrom: seconds from Now until each ticket's window opens, by ticket
	// index); rule is each field's priority rule.
	book     [][]int
	bfrom    []float64
	bslot    []time.Time // each booked ticket's slot start, by ticket index
	rule     []FieldRule
	counters []planCounter
	// served is how many tickets some open counter serves.
	served int
	// cv is each field's coefficient of variation of service times.
	cv []float64
	// path state, reused by every replay
	ph, rh  []int       // per field: next priority / regular ticket
	bh      []int       // per field: next booked ticket
	arrived [][]float64 // per field: later priority arrivals not yet served (seconds from now)
	nextArr []float64   // per field: when the next later priority arrival comes
	free    []float64   // per counter: when it is free (seconds from now)
	vfree   []float64   // per counter: the variance of free (seconds²)
	streak  []int
	regRun  []int
	done    []bool
}

type planCounter struct {
	c      *ProjectCounter
	fields []int     // field indices it serves
	mean   []float64 // its mean service time (seconds) per served field
	cur    int       // field of the current service, or -1
	curM   float64   // mean of the current service's field at this counter
}

func newPlan(in ProjectInput) *plan {
	p := &plan{in: in, maxStreak: in.MaxPriorityStreak}
	if p.maxStreak <= 0 {
		p.maxStreak = DefaultMaxPriorityStreak
	}
	p.tickets = slices.Clone(in.Waiting)
	slices.SortFunc(p.tickets, func(a, b ProjectTicket) int {
		if c := a.IssuedAt.Compare(b.IssuedAt); c != 0 {
			return c
		}
		switch {
		case a.ID < b.ID:
			return -1
		case a.ID > b.ID:
			return 1
		}
		return 0
	})
	index := map[string]int{}
	field := func(id string) int {
		i, ok := index[id]
		if !ok {
			i = len(p.fieldIDs)
			index[id] = i
			p.fieldIDs = append(p.fieldIDs, id)
			p.prio, p.reg, p.book = append(p.prio, nil), append(p.reg, nil), append(p.book, nil)
		}
		return i
	}
	p.bfrom = make([]float64, len(p.tickets))
	p.bslot = make([]time.Time, len(p.tickets))
	for i, t := range p.tickets {
		f := field(t.ServiceID)
		w, booked := in.Booked[t.ID]
		switch {
		case booked && !in.Now.After(w.To):
			// Booked, its window open or ahead; a late one is a walk-in.
			p.book[f] = append(p.book[f], i)
			p.bfrom[i] = max(w.From.Sub(in.Now).Seconds(), 0)
			p.bslot[i] = w.Slot
		case t.Priority && in.Rules[t.ServiceID].Rule != protocol.PriorityOff:
			p.prio[f] = append(p.prio[f], i)
		default:
			p.reg[f] = append(p.reg[f], i)
		}
	}
	for _, b := range p.book {
		slices.SortStableFunc(b, func(x, y int) int { return cmp.Compare(p.bfrom[x], p.bfrom[y]) })
	}
	servedField := map[int]bool{}
	for i := range in.Counters {
		c := &in.Counters[i]
		pc := planCounter{c: c, cur: -1}
		for _, id := range c.ServiceIDs {
			f := field(id)
			pc.fields = append(pc.fields, f)
			pc.mean = append(pc.mean, p.mean(c, id).Seconds())
			servedField[f] = true
		}
		if c.Busy && c.Current != "" {
			pc.cur = field(c.Current)
			pc.curM = p.mean(c, c.Current).Seconds()
		}
		p.counters = append(p.counters, pc)
	}
	for _, t := range p.tickets {
		if servedField[index[t.ServiceID]] {
			p.served++
		}
	}
	nf, nc := len(p.fieldIDs), len(p.counters)
	p.rule = make([]FieldRule, nf)
	for f, id := range p.fieldIDs {
		p.rule[f] = in.Rules[id]
	}
	p.cv = make([]float64, nf)
	for f, id := range p.fieldIDs {
		sigma := DefaultSigma
		if s, ok := in.Sigma[id]; ok && s >= 0 {
			sigma = s
		}
		p.cv[f] = math.Sqrt(math.Expm1(sigma * sigma))
	}
	p.ph, p.rh, p.bh, p.arrived, p.nextArr = make([]int, nf), make([]int, nf), make([]int, nf), make([][]float64, nf), make([]float64, nf)
	p.free, p.vfree, p.streak, p.regRun, p.done = make([]float64, nc), make([]float64, nc), make([]int, nc), make([]int, nc), make([]bool, nc)
	return p
}

// mean is counter c's mean service time in field f: its clerk's own, else
// the field's, else the default.
func (p *plan) mean(c *ProjectCounter, f string) time.Duration {
	if m, ok := c.Mean[f]; ok && m > 0 {
		return m
	}
	if m := p.in.Mean[f]; m > 0 {
		return m
	}
	return DefaultServiceTime
}

// draws is the randomness of one replay; nil replays every service at its
// mean.
type draws struct {
	rng *rand.Rand
	sp  *Spread
	// sigma and rate per field index.
	sigma, rate []float64
}

// horizon bounds how far ahead later priority arrivals are drawn.
const horizon = 12 * 3600.0

// never is a time no replay reaches.
var never = math.Inf(1)

// run replays the policy once and writes each ticket's wait (seconds from
// now until its call) to out, by index in p.tickets; tickets no open
// counter serves get NaN. Replayed at the means (d nil), it also writes the
// variance of each wait to vars, when given: the variances of the services
// (and pauses) its counter does before it, summed.
func (p *plan) run(d *draws, out, vars []float64) {
	for i := range out {
		out[i] = math.NaN()
	}
	for f := range p.fieldIDs {
		p.ph[f], p.rh[f], p.bh[f] = 0, 0, 0
		p.arrived[f] = p.arrived[f][:0]
		p.nextArr[f] = never
		if d != nil && d.rate[f] > 0 {
			if t := d.rng.ExpFloat64() / d.rate[f]; t <= horizon {
				p.nextArr[f] = t
			}
		}
	}
	for k := range p.counters {
		pc := &p.counters[k]
		p.free[k], p.vfree[k], p.streak[k], p.regRun[k], p.done[k] = 0, 0, pc.c.PriorityStreak, pc.c.RegularRun, false
		switch {
		case !pc.c.Busy:
		case d != nil && pc.cur >= 0:
			p.free[k] = d.residual(pc.curM, d.sigma[pc.cur], pc.c.Elapsed.Seconds())
		default:
			p.free[k] = max(pc.c.Remaining.Seconds(), 0)
			// The rest of a service in progress, or of a pause, is about
			// as uncertain as it is long.
			cv := 1.0
			if pc.cur >= 0 {
				cv = p.cv[pc.cur]
			}
			p.vfree[k] = sq(cv * p.free[k])
		}
	}
	left := p.served
	for left > 0 {
		// The counter that becomes free first (ties: the earlier listed).
		// Times are float sums: closer than a microsecond is a tie.
		k := -1
		for i := range p.counters {
			if !p.done[i] && (k < 0 || p.free[i] < p.free[k]-1e-6) {
				k = i
			}
		}
		if k < 0 {
			break
		}
		pc, now := &p.counters[k], p.free[k]
		// The oldest priority and regular ticket among its fields. A ticket
		// waiting now is older than any later arrival; later arrivals are
		// ordered by their arrival time.
		pf, rf, bf := -1, -1, -1
		var pKey, rKey float64 // ticket index, or horizon + arrival time
		for _, f := range pc.fields {
			if d != nil {
				for p.nextArr[f] <= now {
					p.arrived[f] = append(p.arrived[f], p.nextArr[f])
					p.nextArr[f] += d.rng.ExpFloat64() / d.rate[f]
					if p.nextArr[f] > horizon {
						p.nextArr[f] = never
					}
				}
			}
			if p.ph[f] < len(p.prio[f]) {
				if key := float64(p.prio[f][p.ph[f]]); pf < 0 || key < pKey {
					pf, pKey = f, key
				}
			} else if len(p.arrived[f]) > 0 && p.rule[f].Rule != protocol.PriorityOff {
				// (A later priority arrival in an off field queues behind
				// everyone waiting now.)
				if key := float64(len(p.tickets)) + p.arrived[f][0]; pf < 0 || key < pKey {
					pf, pKey = f, key
				}
			}
			if p.rh[f] < len(p.reg[f]) {
				if key := float64(p.reg[f][p.rh[f]]); rf < 0 || key < rKey {
					rf, rKey = f, key
				}
			}
			if p.bh[f] < len(p.book[f]) && (bf < 0 || p.bfrom[p.book[f][p.bh[f]]] < p.bfrom[p.book[bf][p.bh[bf]]]) {
				bf = f
			}
		}
		// A booked ticket whose window is open goes first; one whose
		// window is still ahead only when nothing else waits here.
		bookedNow := bf >= 0 && p.bfrom[p.book[bf][p.bh[bf]]] <= now
		prioFirst := false // the booked position lets the priority candidate go first
		if bookedNow {
			// Its field's booked position, as the engine's pick applies it.
			switch p.rule[bf].Booked {
			case protocol.BookedAfterPriority:
				if pf >= 0 && p.streak[k] < p.maxStreak {
					bookedNow, prioFirst = false, true
				}
			case protocol.BookedInLine:
				slot := p.bslot[p.book[bf][p.bh[bf]]]
				switch {
				case rf >= 0 && slot.After(p.tickets[p.reg[rf][p.rh[rf]]].IssuedAt):
					bookedNow = false // a walk-in issued before its slot goes first
				case pf >= 0 && PriorityGoes(p.rule[pf].Rule, p.rule[pf].Every, p.streak[k], p.regRun[k], p.maxStreak):
					bookedNow, prioFirst = false, true
				}
			}
		}
		f, i := -1, -1 // the field served and the waiting ticket called (-1: a later arrival)
		switch {
		case bookedNow:
			f = bf
			i = p.book[f][p.bh[f]]
			p.bh[f]++
		case pf >= 0 && (prioFirst || rf < 0 || PriorityGoes(p.rule[pf].Rule, p.rule[pf].Every, p.streak[k], p.regRun[k], p.maxStreak)):
			f = pf
			p.streak[k], p.regRun[k] = p.streak[k]+1, 0
			if p.ph[f] < len(p.prio[f]) {
				i = p.prio[f][p.ph[f]]
				p.ph[f]++
			} else {
				p.arrived[f] = p.arrived[f][1:]
			}
		case rf >= 0:
			f = rf
			p.streak[k], p.regRun[k] = 0, p.regRun[k]+1
			i = p.reg[f][p.rh[f]]
			p.rh[f]++
		case bf >= 0:
			f = bf
			i = p.book[f][p.bh[f]]
			p.bh[f]++
		default:
			// Nothing waits for this counter now; only a later priority
			// arrival can still give it work.
			next := never
			for _, f := range pc.fields {
				if p.rule[f].Rule != protocol.PriorityOff {
					next = min(next, p.nextArr[f])
				}
			}
			if next == never {
				p.done[k] = true
			} else {
				p.free[k] = next
			}
			continue
		}
		if i >= 0 {
			out[i] = now
			if vars != nil {
				vars[i] = p.vfree[k]
			}
			left--
		}
		m := pc.mean[slices.Index(pc.fields, f)]
		if d == nil {
			p.free[k] = now + m + max(p.in.Pause.Seconds(), 0)
			p.vfree[k] += sq(p.cv[f]*m) + sq(p.in.PauseSD.Seconds())
		} else {
			p.free[k] = now + d.service(m, d.sigma[f])
		}
	}
}

// service draws what one call costs its counter: the service (lognormal
// with mean m and shape sigma), or the time a no-show holds it, plus the
// pause its clerk takes after it.
func (d *draws) service(m, sigma float64) float64 {
	var s float64
	if d.sp.NoShow > 0 && d.rng.Float64() < d.sp.NoShow {
		s = d.sp.NoShowHold.Seconds()
	} else {
		s = m * math.Exp(sigma*d.rng.NormFloat64()-sigma*sigma/2)
	}
	if n := len(d.sp.Breaks); n > 0 {
		s += d.sp.Breaks[d.rng.IntN(n)].Seconds()
	}
	return s
}

// residual draws the rest of a service (lognormal, mean m, shape sigma)
// that has already run elapsed seconds: a draw of the service time given
// that it is longer than elapsed, by inverting the normal distribution in
// its upper tail above elapsed's quantile (accurate far into the tail).
func (d *draws) residual(m, sigma, elapsed float64) float64 {
	if sigma <= 0 {
		return max(m-elapsed, 0)
	}
	mu := math.Log(m) - sigma*sigma/2
	z0 := math.Inf(-1)
	if elapsed > 0 {
		z0 = (math.Log(elapsed) - mu) / sigma
	}
	q0 := 0.5 * math.Erfc(z0/math.Sqrt2) // P(Z > z0)
	if q0 < 1e-300 {
		// Beyond any draw: the rest of a normal tail above z0 is about
		// 1/z0 in z, that is elapsed·σ/z0 in time.
		return elapsed * sigma / z0
	}
	u := q0 * (1 - d.rng.Float64()) // in (0, q0]
	z := math.Sqrt2 * math.Erfcinv(2*u)
	return max(math.Exp(mu+sigma*z)-elapsed, 0)
}

func sq(x float64) float64 { return x * x }
