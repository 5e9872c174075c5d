// Package sim runs the real queue engine (queue.Engine on a real SQLite
// store in a temporary folder) through simulated days on a virtual clock:
// Poisson arrivals with a morning peak, lognormal service times per field,
// clerks of different speeds who pause now and then, priority tickets and
// no-shows. It measures the waits and how well the engine's expected wait
// (eta_seconds at issue) predicted them, next to the naive estimate (people
// ahead × mean service time ÷ counters). The same simulator answers
// supervisors' staffing questions (`server simulate`).
package sim

import (
	"container/heap"
	"context"
	"fmt"
	"hash/fnv"
	"log/slog"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/civiq/civiq/server/internal/forecast"
	"github.com/civiq/civiq/server/internal/queue"
	"github.com/civiq/civiq/server/internal/store/sqlite"
	"github.com/civiq/civiq/server/protocol"
)

// Field is one field (lĩnh vực) of the simulated centre.
type Field struct {
	ID            string
	Prefix        string
	Name          protocol.Text
	TargetMinutes int
	// MeanService is the mean service time; Sigma the lognormal shape
	// (0.5 is typical for counter work: most services near the mean, a few
	// twice as long).
	MeanService time.Duration
	Sigma       float64
	// Rate is the arrivals per hour for each hour of the day (index 0–23).
	Rate [24]float64
}

// Counter is one counter of the plan.
type Counter struct {
	ID         string
	Number     int
	ServiceIDs []string
	// Speed multiplies service times (1: average clerk; 0 draws one at
	// random between 0.8 and 1.25).
	Speed float64
}

// Arrival is one citizen of a replayed day (a CSV of a past day).
type Arrival struct {
	// At is the time of day.
	At        time.Duration
	ServiceID string
	Priority  bool
}

// Config describes the simulation.
type Config struct {
	Fields   []Field
	Counters []Counter
	// Replay, when set, replaces the Poisson arrivals: the same day's
	// arrivals every simulated day.
	Replay []Arrival
	// Sessions are the opening sessions of a day as offsets from midnight
	// (default 07:30–11:30 and 13:30–17:00). Arrivals happen only inside
	// them; counters serve until the queue is empty.
	Sessions [][2]time.Duration
	Days     int
	// WarmupDays run before the measured days and are not measured: a real
	// centre has history, while an empty store starts from
	// forecast.DefaultServiceTime.
	WarmupDays int
	Seed       uint64
	// PriorityShare is the share of priority tickets (default 0.08).
	PriorityShare float64
	// NoShowShare is the share of citizens gone when called (default 0.05);
	// the clerk recalls once and marks the no-show after NoShowWait.
	NoShowShare float64
	NoShowWait  time.Duration
	// PauseChance is the chance that a clerk pauses after a service
	// (default 0.03), for PauseMean on average (default 10 min).
	PauseChance float64
	PauseMean   time.Duration
	// Oracle also scores the best estimate possible (Result.Oracle): a
	// hundred replays at every issue, so it is off for staffing runs.
	Oracle bool
	// Dir holds the temporary SQLite store (default: a new temp folder,
	// removed afterwards).
	Dir string
	Log *slog.Logger
	// Start is the first simulated day at midnight in the centre's zone
	// (default the package's Start, a Monday).
	Start time.Time
	// Clerks names the clerk (a user id or, for a demo history, a username)
	// who calls at each counter (default "sim-clerk").
	Clerks map[string]string
	// Visits makes the clerks record each visit's outcome and dossier
	// codes, and a share of citizens rate the visit at the counter (for a
	// demo history with real-looking reports).
	Visits bool
	// Disruptions are opened and ended during the simulated days.
	Disruptions []Disruption
	// Closed are weekdays without arrivals (a demo history closes on Sundays).
	Closed []time.Weekday
	// PriorityRule and PriorityEvery set every field's priority rule
	// (protocol.Service; empty: strict).
	PriorityRule  string
	PriorityEvery int
	// BookedPosition sets every field's booked position (protocol.Service;
	// empty: first).
	BookedPosition string
	// BookedShare is the share of citizens who booked a time (default 0:
	// none). Every field then takes bookings in 30-minute slots; such a
	// citizen books, on arriving, the first slot starting at least 5
	// minutes later, and checks in at once: inside its window (from 15
	// minutes before) the ticket is called as BookedPosition says (first:
	// before walk-ins), earlier it waits for the window.
	BookedShare float64
}

// Disruption is a fault during the simulation: on day Day (0-based) from
// At (offset from midnight) for Length, at Counters (none: the whole centre).
type Disruption struct {
	Day      int
	At       time.Duration
	Length   time.Duration
	Cause    string
	Counters []string
}

func (c *Config) defaults() {
	if len(c.Sessions) == 0 {
		c.Sessions = [][2]time.Duration{{hm(7, 30), hm(11, 30)}, {hm(13, 30), hm(17, 0)}}
	}
	if c.Days <= 0 {
		c.Days = 1
	}
	if c.PriorityShare == 0 {
		c.PriorityShare = 0.08
	}
	if c.NoShowShare == 0 {
		c.NoShowShare = 0.05
	}
	if c.NoShowWait <= 0 {
		c.NoShowWait = 2 * time.Minute
	}
	if c.PauseChance == 0 {
		c.PauseChance = 0.03
	}
	if c.PauseMean <= 0 {
		c.PauseMean = 10 * time.Minute
	}
	if c.Log == nil {
		c.Log = slog.New(slog.DiscardHandler)
	}
}

func hm(h, m int) time.Duration { return time.Duration(h)*time.Hour + time.Duration(m)*time.Minute }

// FieldResult are the waits of one field.
type FieldResult struct {
	ID      string
	Name    protocol.Text
	Tickets int
	// MeanWait and P90Wait are from issue to call.
	MeanWait time.Duration
	P90Wait  time.Duration
	// WithinTarget is the share called within the field's target (NaN
	// without a target).
	WithinTarget  float64
	TargetMinutes int
}

// ClassResult are the waits of one class of citizens (priority or regular).
type ClassResult struct {
	Tickets           int
	MeanWait, P90Wait time.Duration
}

// ErrorStats compare an estimate with the actual waits.
type ErrorStats struct {
	// MAE is the mean absolute error, P90 the 90th percentile of the
	// absolute error, Bias the mean signed error (estimate − actual).
	MAE, P90, Bias time.Duration
}

// Result is what a simulation measured.
type Result struct {
	Days     int
	Tickets  int
	NoShows  int
	Pauses   int
	MeanWait time.Duration
	P90Wait  time.Duration
	Fields   []FieldResult
	// Priority and Regular are the waits of priority and regular
	// tickets; Booked of the tickets checked in for a booking (neither
	// of the other two).
	Priority, Regular, Booked ClassResult
	// Model is the engine's eta_seconds at issue; Naive is people ahead ×
	// mean service time ÷ open counters of the field.
	Model, Naive ErrorStats
	// Oracle is the best estimate possible on this workload: the median
	// of the wait over replays of the policy from the same moment that
	// know everything the simulator draws from (each clerk's true speed,
	// the true service-time spread, no-show, pause and priority-arrival
	// processes) but not the draws themselves. It is the floor the model's
	// error is measured against (Config.Oracle only).
	Oracle ErrorStats
	// RangeCoverage is the share of the tickets given a range at issue
	// (eta_low_seconds–eta_high_seconds; RangeTickets of them) whose wait
	// fell inside it, RangeBelow the share called sooner than its low end,
	// and RangeWidth the median width of the ranges.
	RangeTickets              int
	RangeCoverage, RangeBelow float64
	RangeWidth                time.Duration
	// Buckets break the errors down by actual wait.
	Buckets []Bucket
	// LiveModel and LiveNaive score the estimates as the phone page shows
	// them while the citizen waits: every 5 minutes each waiting ticket's
	// current estimate against its actual remaining wait (mean remaining
	// wait LiveMeanLeft over LiveSamples samples).
	LiveModel, LiveNaive ErrorStats
	LiveMeanLeft         time.Duration
	LiveSamples          int
	// LiveRangeCoverage is the share of those samples with a range whose
	// remaining wait fell inside it.
	LiveRangeCoverage float64
}

// sampleEvery is how often the live estimates are sampled.
const sampleEvery = 5 * time.Minute

type sample struct {
	id           string
	at           time.Time
	model, naive time.Duration
	low, high    time.Duration
}

// Bucket is the accuracy for tickets whose actual wait fell in [From, To).
type Bucket struct {
	From, To             time.Duration
	Tickets              int
	MeanWait             time.Duration
	Model, Naive, Oracle ErrorStats
}

// event kinds of the simulation loop.
const (
	evArrival = iota
	evServiceEnd
	evNoShow
	evPauseEnd
	evDisruptionStart
	evDisruptionEnd
)

type event struct {
	at     time.Time
	seq    int // ties: first scheduled first (deterministic)
	kind   int
	k      int // counter index
	prio   bool
	booked bool
	field  string
	cit    citizen
	dis    *Disruption
	disID  string
}

// citizen is what is drawn for each arrival: how long their case takes
// (as a standard normal, scaled by the field) and whether they will be gone
// when called. Drawn with the arrival, not at the counter, so that two
// plans with the same seed see the same citizens (common random numbers).
type citizen struct {
	z      float64
	noShow bool
}

type events []*event

func (e events) Len() int { return len(e) }
func (e events) Less(i, j int) bool {
	if !e[i].at.Equal(e[j].at) {
		return e[i].at.Before(e[j].at)
	}
	return e[i].seq < e[j].seq
}
func (e events) Swap(i, j int) { e[i], e[j] = e[j], e[i] }
func (e *events) Push(x any)   { *e = append(*e, x.(*event)) }
func (e *events) Pop() any {
	old := *e
	x := old[len(old)-1]
	*e = old[:len(old)-1]
	return x
}

type issued struct {
	field      string
	at         time.Time
	model      time.Duration
	naive      time.Duration
	oracle     time.Duration
	low, high  time.Duration
	wait       time.Duration
	called     bool
	prio       bool
	booked     bool
	targetMins int
}

// counter states.
const (
	stIdle = iota
	stBusy
	stPaused
)

type runner struct {
	cfg    Config
	rng    *rand.Rand   // arrivals and citizens
	crng   []*rand.Rand // per counter: clerk speed and pauses
	cits   map[string]citizen
	clk    *queue.ManualClock // the virtual clock the engine reads
	eng    *queue.Engine
	q      events
	seq    int
	state  []int
	speed  []float64
	ticket map[string]*issued
	order  []string // ticket ids in issue order (deterministic reports)
	fields map[string]Field
	res    Result
	// measure is false during warm-up days.
	measure bool
	// pauses are draws of the pause after a service (mostly 0), for the
	// oracle.
	pauses  []time.Duration
	samples []sample
	nextAt  time.Time
	// vrng draws visit outcomes and ratings (Config.Visits), apart from
	// rng so the queue itself is the same with or without them.
	vrng     *rand.Rand
	dayIndex int
	disIDs   map[*Disruption]string
	dossier  int
}

// Start is the first simulated day (a Monday), in the centre's zone.
var Start = time.Date(2026, 11, 30, 0, 0, 0, 0, mustZone("Asia/Ho_Chi_Minh"))

func mustZone(name string) *time.Location {
	loc, err := time.LoadLocation(name)
	if err != nil {
		return time.FixedZone("ICT", 7*3600)
	}
	return loc
}

// Run simulates cfg.Days days and returns the measurements. The same
// config and seed give the same result.
func Run(ctx context.Context, cfg Config) (*Result, error) {
	cfg.defaults()
	if len(cfg.Fields) == 0 || len(cfg.Counters) == 0 {
		return nil, fmt.Errorf("sim: a centre needs fields and counters")
	}
	dir := cfg.Dir
	if dir == "" {
		d, err := os.MkdirTemp("", "civiq-sim-")
		if err != nil {
			return nil, err
		}
		defer os.RemoveAll(d)
		dir = d
	}
	// Synchronous OFF: the simulated store is thrown away, and fsyncs would
	// only slow the days down; the engine's logic is the same.
	st, err := sqlite.Open(ctx, filepath.Join(dir, "sim.db"), sqlite.Options{Synchronous: "OFF", Log: cfg.Log})
	if err != nil {
		return nil, err
	}
	defer st.Close()
	if cfg.Start.IsZero() {
		cfg.Start = Start
	}
	r := &runner{cfg: cfg, rng: rand.New(rand.NewPCG(cfg.Seed, cfg.Seed^0x9e3779b97f4a7c15)), clk: queue.NewManualClock(cfg.Start.Add(7 * time.Hour)),
		ticket: map[string]*issued{}, fields: map[string]Field{}, cits: map[string]citizen{},
		vrng: rand.New(rand.NewPCG(cfg.Seed, 0x715175)), disIDs: map[*Disruption]string{}}
	r.eng = queue.New(st, r.clk, cfg.Log, queue.Options{Location: cfg.Start.Location()})
	if err := r.eng.Start(ctx); err != nil {
		return nil, err
	}
	if err := r.setup(ctx); err != nil {
		return nil, err
	}
	for d := range cfg.WarmupDays + cfg.Days {
		r.measure = d >= cfg.WarmupDays
		r.dayIndex = d
		if err := r.day(ctx, cfg.Start.AddDate(0, 0, d)); err != nil {
			return nil, fmt.Errorf("sim: day %d: %w", d+1, err)
		}
	}
	r.report()
	return &r.res, nil
}

func (r *runner) setup(ctx context.Context) error {
	all := protocol.Hours{}
	for _, d := range []string{"mon", "tue", "wed", "thu", "fri", "sat", "sun"} {
		all[d] = []string{"00:00-24:00"}
	}
	if _, err := r.eng.PutCentre(ctx, protocol.Centre{Name: protocol.Text{Vi: "Mô phỏng", En: "Simulation"}, TimeZone: r.cfg.Start.Location().String(), Hours: all}); err != nil {
		return err
	}
	for i, f := range r.cfg.Fields {
		if f.MeanService <= 0 {
			f.MeanService = forecast.DefaultServiceTime
		}
		if f.Sigma <= 0 {
			f.Sigma = 0.5
		}
		r.cfg.Fields[i] = f
		r.fields[f.ID] = f
		name := f.Name
		if name.Vi == "" {
			name.Vi = f.ID
		}
		// AcceptUnserved: a field the simulated counters leave unserved
		// still takes tickets, which wait (the report shows it), rather
		// than stopping the run.
		if _, err := r.eng.PutService(ctx, protocol.Service{ID: f.ID, Prefix: f.Prefix, Name: name, TargetMinutes: f.TargetMinutes, Enabled: true, Order: i, AcceptUnserved: true,
			PriorityRule: r.cfg.PriorityRule, PriorityEvery: r.cfg.PriorityEvery, BookedPosition: r.cfg.BookedPosition}); err != nil {
			return fmt.Errorf("field %s: %w", f.ID, err)
		}
		if r.cfg.BookedShare > 0 {
			days := map[string]protocol.BookingDay{}
			for _, d := range []string{"mon", "tue", "wed", "thu", "fri", "sat", "sun"} {
				days[d] = protocol.BookingDay{SlotMinutes: int(bookingSlot / time.Minute), Capacity: 1000}
			}
			if _, err := r.eng.PutBookingSettings(ctx, protocol.BookingSettings{ServiceID: f.ID, Enabled: true, DaysAhead: 1, Days: days}); err != nil {
				return fmt.Errorf("field %s bookings: %w", f.ID, err)
			}
		}
	}
	prng := rand.New(rand.NewPCG(r.cfg.Seed, 0x9a05e))
	r.pauses = make([]time.Duration, 1000)
	for i := range r.pauses {
		if prng.Float64() < r.cfg.PauseChance {
			r.pauses[i] = time.Duration(prng.ExpFloat64()*float64(r.cfg.PauseMean-3*time.Minute)) + 3*time.Minute
		}
	}
	r.state = make([]int, len(r.cfg.Counters))
	r.speed = make([]float64, len(r.cfg.Counters))
	r.crng = make([]*rand.Rand, len(r.cfg.Counters))
	for i, c := range r.cfg.Counters {
		h := fnv.New64a()
		h.Write([]byte(c.ID))
		r.crng[i] = rand.New(rand.NewPCG(r.cfg.Seed, h.Sum64()))
		r.speed[i] = c.Speed
		if c.Speed <= 0 {
			r.speed[i] = 0.8 + 0.45*r.crng[i].Float64()
		}
		num := c.Number
		if num == 0 {
			num = i + 1
		}
		if _, err := r.eng.PutCounter(ctx, protocol.Counter{ID: c.ID, Number: num, Name: protocol.Text{Vi: fmt.Sprintf("Quầy %d", num)}, ServiceIDs: c.ServiceIDs, Status: protocol.CounterClosed}); err != nil {
			return fmt.Errorf("counter %s: %w", c.ID, err)
		}
	}
	return nil
}

func (r *runner) push(e *event) {
	r.seq++
	e.seq = r.seq
	heap.Push(&r.q, e)
}

// arrivals draws the day's arrivals: a non-homogeneous Poisson process per
// field (by thinning), inside the opening sessions.
func (r *runner) arrivals(day time.Time) {
	if len(r.cfg.Replay) > 0 {
		for _, a := range r.cfg.Replay {
			if _, ok := r.fields[a.ServiceID]; ok {
				r.push(&event{at: day.Add(a.At), kind: evArrival, field: a.ServiceID, prio: a.Priority, cit: r.citizen()})
			}
		}
		return
	}
	for _, f := range r.cfg.Fields {
		peak := slices.Max(f.Rate[:])
		if peak <= 0 {
			continue
		}
		for _, s := range r.cfg.Sessions {
			t := s[0]
			for {
				t += time.Duration(r.rng.ExpFloat64() / peak * float64(time.Hour))
				if t >= s[1] {
					break
				}
				if r.rng.Float64()*peak < f.Rate[int(t/time.Hour)%24] {
					prio := r.rng.Float64() < r.cfg.PriorityShare
					// Drawn only when bookings are simulated: runs without
					// them draw the same citizens as before.
					booked := r.cfg.BookedShare > 0 && r.rng.Float64() < r.cfg.BookedShare
					r.push(&event{at: day.Add(t), kind: evArrival, field: f.ID, prio: prio && !booked, booked: booked, cit: r.citizen()})
				}
			}
		}
	}
}

func (r *runner) citizen() citizen {
	return citizen{z: r.rng.NormFloat64(), noShow: r.rng.Float64() < r.cfg.NoShowShare}
}

func (r *runner) serviceTime(k int, field string, z float64) time.Duration {
	f := r.fields[field]
	mu := math.Log(f.MeanService.Seconds()) - f.Sigma*f.Sigma/2
	secs := math.Exp(mu+f.Sigma*z) * r.speed[k]
	return time.Duration(max(secs, 30) * float64(time.Second))
}

func (r *runner) day(ctx context.Context, day time.Time) error {
	if slices.Contains(r.cfg.Closed, day.Weekday()) {
		return nil
	}
	r.clk.Set(day.Add(r.cfg.Sessions[0][0] - time.Minute))
	if err := r.eng.Housekeep(ctx); err != nil {
		return err
	}
	for i, c := range r.cfg.Counters {
		if _, err := r.eng.SetCounterStatus(ctx, c.ID, protocol.CounterOpen); err != nil {
			return err
		}
		r.state[i] = stIdle
	}
	r.arrivals(day)
	for i := range r.cfg.Disruptions {
		if d := &r.cfg.Disruptions[i]; d.Day == r.dayIndex {
			r.push(&event{at: day.Add(d.At), kind: evDisruptionStart, dis: d})
			r.push(&event{at: day.Add(d.At + d.Length), kind: evDisruptionEnd, dis: d})
		}
	}
	r.nextAt = day.Add(r.cfg.Sessions[0][0])
	for r.q.Len() > 0 {
		e := heap.Pop(&r.q).(*event)
		r.clk.Set(e.at)
		if r.measure && !e.at.Before(r.nextAt) {
			r.sample()
			for !e.at.Before(r.nextAt) {
				r.nextAt = r.nextAt.Add(sampleEvery)
			}
		}
		if err := r.handle(ctx, e); err != nil {
			return err
		}
	}
	// Close for the night.
	for _, c := range r.cfg.Counters {
		if _, err := r.eng.SetCounterStatus(ctx, c.ID, protocol.CounterClosed); err != nil {
			return err
		}
	}
	return nil
}

func (r *runner) handle(ctx context.Context, e *event) error {
	switch e.kind {
	case evArrival:
		issue := r.issue
		if e.booked {
			issue = r.checkIn
		}
		if err := issue(ctx, e.field, e.prio, e.cit); err != nil {
			return err
		}
		for k, c := range r.cfg.Counters {
			if r.state[k] == stIdle && slices.Contains(c.ServiceIDs, e.field) {
				if err := r.next(ctx, k); err != nil {
					return err
				}
			}
		}
	case evServiceEnd:
		if r.crng[e.k].Float64() < r.cfg.PauseChance {
			if r.cfg.Visits {
				if err := r.recordVisit(ctx, e.k); err != nil {
					return err
				}
			} else if _, err := r.eng.Done(ctx, r.cfg.Counters[e.k].ID); err != nil {
				return err
			}
			if _, err := r.eng.SetCounterStatus(ctx, r.cfg.Counters[e.k].ID, protocol.CounterPaused); err != nil {
				return err
			}
			r.state[e.k] = stPaused
			if r.measure {
				r.res.Pauses++
			}
			pause := time.Duration(r.crng[e.k].ExpFloat64()*float64(r.cfg.PauseMean-3*time.Minute)) + 3*time.Minute
			r.push(&event{at: e.at.Add(pause), kind: evPauseEnd, k: e.k})
			return nil
		}
		return r.next(ctx, e.k)
	case evNoShow:
		if _, err := r.eng.NoShow(ctx, r.cfg.Counters[e.k].ID); err != nil {
			return err
		}
		if r.measure {
			r.res.NoShows++
		}
		return r.next(ctx, e.k)
	case evPauseEnd:
		return r.next(ctx, e.k) // Next opens a paused counter
	case evDisruptionStart:
		d, err := r.eng.StartDisruption(ctx, "sim", protocol.DisruptionRequest{Cause: e.dis.Cause, CounterIDs: e.dis.Counters}, func([]string) error { return nil })
		if err != nil {
			return err
		}
		r.disIDs[e.dis] = d.ID
	case evDisruptionEnd:
		if id := r.disIDs[e.dis]; id != "" {
			if _, err := r.eng.EndDisruption(ctx, id, "sim", func([]string) error { return nil }); err != nil {
				return err
			}
		}
	}
	return nil
}

// sample records every waiting ticket's current estimate (and the naive
// one) for the live accuracy.
func (r *runner) sample() {
	now := r.clk.Now()
	means := map[string]time.Duration{}
	for _, s := range r.eng.Services() {
		means[s.ID] = time.Duration(s.AvgServiceSeconds) * time.Second
	}
	open := map[string]int{}
	for _, c := range r.eng.Counters() {
		if c.Status == protocol.CounterOpen {
			for _, f := range c.ServiceIDs {
				open[f]++
			}
		}
	}
	est := r.eng.Estimates()
	ids := make([]string, 0, len(est))
	for id := range est {
		ids = append(ids, id)
	}
	slices.Sort(ids) // map order must not leak into the result
	for _, id := range ids {
		if _, ok := r.ticket[id]; !ok {
			continue
		}
		e := est[id]
		r.samples = append(r.samples, sample{id: id, at: now, model: time.Duration(e.ETASeconds) * time.Second,
			low: time.Duration(e.ETALowSeconds) * time.Second, high: time.Duration(e.ETAHighSeconds) * time.Second,
			naive: forecast.NaiveWait(e.Ahead, means[e.ServiceID], open[e.ServiceID])})
	}
}

func (r *runner) issue(ctx context.Context, field string, prio bool, cit citizen) error {
	res, err := r.eng.Issue(ctx, "sim", protocol.IssueRequest{ServiceID: field, Priority: prio}, "")
	if err != nil {
		return err
	}
	return r.record(res.Ticket, field, prio, cit)
}

// bookingSlot is the length of the simulated fields' booking slots.
const bookingSlot = 30 * time.Minute

// checkIn books, for a citizen who booked (Config.BookedShare), the first
// slot of field starting at least 5 minutes from now, and checks it in at
// once. Without such a slot today the citizen takes a walk-in ticket.
func (r *runner) checkIn(ctx context.Context, field string, prio bool, cit citizen) error {
	now := r.clk.Now()
	midnight := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, now.Location())
	start := midnight.Add((now.Add(5*time.Minute).Sub(midnight) + bookingSlot - 1).Truncate(bookingSlot))
	b, err := r.eng.Book(ctx, "sim", protocol.BookingRequest{ServiceID: field, Start: start})
	if err != nil {
		if queue.CodeOf(err) == "" {
			return err
		}
		return r.issue(ctx, field, prio, cit) // past the last slot of the day
	}
	res, _, err := r.eng.CheckIn(ctx, "sim", b.Code, protocol.LangVI)
	if err != nil {
		return err
	}
	if err := r.record(res.Ticket, field, false, cit); err != nil {
		return err
	}
	if is := r.ticket[res.Ticket.ID]; is != nil {
		is.booked = res.Ticket.Booking != nil
	}
	return nil
}

// record keeps what the simulation measures of ticket t, just issued.
func (r *runner) record(t protocol.Ticket, field string, prio bool, cit citizen) error {
	r.cits[t.ID] = cit
	// The naive estimate from the same moment's figures.
	mean := forecast.DefaultServiceTime
	for _, s := range r.eng.Services() {
		if s.ID == field && s.AvgServiceSeconds > 0 {
			mean = time.Duration(s.AvgServiceSeconds) * time.Second
		}
	}
	open := 0
	for _, c := range r.eng.Counters() {
		if c.Status == protocol.CounterOpen && slices.Contains(c.ServiceIDs, field) {
			open++
		}
	}
	if !r.measure {
		return nil
	}
	r.ticket[t.ID] = &issued{field: field, at: t.IssuedAt, prio: prio, model: time.Duration(t.ETASeconds) * time.Second,
		naive: forecast.NaiveWait(t.Ahead, mean, open),
		low:   time.Duration(t.ETALowSeconds) * time.Second, high: time.Duration(t.ETAHighSeconds) * time.Second, targetMins: r.fields[field].TargetMinutes}
	if r.cfg.Oracle {
		r.ticket[t.ID].oracle = r.oracle(t.ID, r.ticket[t.ID].model)
	}
	r.order = append(r.order, t.ID)
	return nil
}

// oracle is the median wait of ticket id over replays of the policy from
// now that draw from the simulator's true processes (Result.Oracle); for a
// field no open counter serves it has nothing better than the model's
// estimate.
func (r *runner) oracle(id string, model time.Duration) time.Duration {
	in := r.eng.ProjectionInput()
	hour := r.clk.Now().Hour()
	in.Mean = map[string]time.Duration{}
	sp := forecast.Spread{Sigma: map[string]float64{}, PriorityPerHour: map[string]float64{}, NoShow: r.cfg.NoShowShare,
		NoShowHold: r.cfg.NoShowWait, Breaks: r.pauses, Seed: r.cfg.Seed}
	for id, f := range r.fields {
		in.Mean[id] = f.MeanService
		sp.Sigma[id] = f.Sigma
		sp.PriorityPerHour[id] = f.Rate[hour] * r.cfg.PriorityShare
	}
	if len(r.cfg.Replay) > 0 {
		clear(sp.PriorityPerHour) // a replayed day's arrivals are not a rate
	}
	for i := range in.Counters {
		c := &in.Counters[i]
		k := slices.IndexFunc(r.cfg.Counters, func(x Counter) bool { return x.ID == c.ID })
		c.Mean = map[string]time.Duration{}
		for _, f := range c.ServiceIDs {
			c.Mean[f] = time.Duration(float64(r.fields[f].MeanService) * r.speed[k])
		}
		if c.Busy && c.Current == "" {
			// Paused: a pause lasts 3 min plus an exponential rest.
			c.Remaining = max(3*time.Minute-c.PausedFor, 0) + r.cfg.PauseMean - 3*time.Minute
		}
	}
	if w, ok := forecast.ProjectSpread(in, sp)[id]; ok {
		return w
	}
	return model
}

// next presses Next at counter k: the current ticket (if any) is done and
// the next one called.
func (r *runner) next(ctx context.Context, k int) error {
	if r.cfg.Visits {
		if err := r.recordVisit(ctx, k); err != nil {
			return err
		}
	}
	t, err := r.eng.Next(ctx, r.cfg.Counters[k].ID, r.clerk(k))
	if err != nil {
		return err
	}
	if t == nil {
		r.state[k] = stIdle
		return nil
	}
	r.state[k] = stBusy
	now := r.clk.Now()
	if is := r.ticket[t.ID]; is != nil && !is.called {
		is.called, is.wait = true, now.Sub(is.at)
	}
	cit := r.cits[t.ID]
	delete(r.cits, t.ID)
	if cit.noShow {
		r.push(&event{at: now.Add(r.cfg.NoShowWait), kind: evNoShow, k: k})
		return nil
	}
	r.push(&event{at: now.Add(r.serviceTime(k, t.ServiceID, cit.z)), kind: evServiceEnd, k: k})
	return nil
}

func percentile(ds []time.Duration, p float64) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	i := int(math.Ceil(p*float64(len(s)))) - 1
	return s[max(i, 0)]
}

func mean(ds []time.Duration) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	var sum time.Duration
	for _, d := range ds {
		sum += d
	}
	return sum / time.Duration(len(ds))
}

func errorStats(est, act []time.Duration) ErrorStats {
	abs := make([]time.Duration, len(est))
	var bias time.Duration
	for i := range est {
		d := est[i] - act[i]
		bias += d
		abs[i] = max(d, -d)
	}
	if len(est) > 0 {
		bias /= time.Duration(len(est))
	}
	return ErrorStats{MAE: mean(abs), P90: percentile(abs, 0.9), Bias: bias}
}

// rangeSide tells whether a wait fell below (-1), inside (0) or above (1)
// the range low–high; the wire carries whole seconds, hence the second of
// slack.
func rangeSide(wait, low, high time.Duration) int {
	switch {
	case wait < low-time.Second:
		return -1
	case wait > high+time.Second:
		return 1
	}
	return 0
}

// share is n/of, or 0 when of is 0.
func share(n, of int) float64 {
	if of == 0 {
		return 0
	}
	return float64(n) / float64(of)
}

func (r *runner) report() {
	r.res.Days = r.cfg.Days
	var waits, model, naive, oracle, widths []time.Duration
	var inside, below int
	per := map[string][]time.Duration{}
	var pw, rw, bw []time.Duration
	for _, id := range r.order {
		is := r.ticket[id]
		if !is.called {
			continue
		}
		waits = append(waits, is.wait)
		model = append(model, is.model)
		naive = append(naive, is.naive)
		oracle = append(oracle, is.oracle)
		per[is.field] = append(per[is.field], is.wait)
		if is.booked {
			bw = append(bw, is.wait)
		} else if is.prio {
			pw = append(pw, is.wait)
		} else {
			rw = append(rw, is.wait)
		}
		if is.high > 0 {
			widths = append(widths, is.high-is.low)
			switch rangeSide(is.wait, is.low, is.high) {
			case 0:
				inside++
			case -1:
				below++
			}
		}
	}
	r.res.Tickets = len(waits)
	r.res.RangeTickets, r.res.RangeWidth = len(widths), percentile(widths, 0.5)
	r.res.RangeCoverage, r.res.RangeBelow = share(inside, len(widths)), share(below, len(widths))
	r.res.MeanWait, r.res.P90Wait = mean(waits), percentile(waits, 0.9)
	r.res.Priority = ClassResult{Tickets: len(pw), MeanWait: mean(pw), P90Wait: percentile(pw, 0.9)}
	r.res.Regular = ClassResult{Tickets: len(rw), MeanWait: mean(rw), P90Wait: percentile(rw, 0.9)}
	r.res.Booked = ClassResult{Tickets: len(bw), MeanWait: mean(bw), P90Wait: percentile(bw, 0.9)}
	r.res.Model, r.res.Naive = errorStats(model, waits), errorStats(naive, waits)
	if r.cfg.Oracle {
		r.res.Oracle = errorStats(oracle, waits)
	}
	var left, lm, ln []time.Duration
	ranged, liveInside := 0, 0
	for _, s := range r.samples {
		is := r.ticket[s.id]
		if !is.called {
			continue
		}
		rest := is.at.Add(is.wait).Sub(s.at)
		left = append(left, rest)
		lm, ln = append(lm, s.model), append(ln, s.naive)
		if s.high > 0 {
			ranged++
			if rangeSide(rest, s.low, s.high) == 0 {
				liveInside++
			}
		}
	}
	r.res.LiveModel, r.res.LiveNaive = errorStats(lm, left), errorStats(ln, left)
	r.res.LiveMeanLeft, r.res.LiveSamples = mean(left), len(left)
	r.res.LiveRangeCoverage = share(liveInside, ranged)
	edges := []time.Duration{0, 5 * time.Minute, 20 * time.Minute, 45 * time.Minute, 24 * time.Hour}
	for i := range len(edges) - 1 {
		var w, m, n, o []time.Duration
		for j := range waits {
			if waits[j] >= edges[i] && waits[j] < edges[i+1] {
				w, m, n, o = append(w, waits[j]), append(m, model[j]), append(n, naive[j]), append(o, oracle[j])
			}
		}
		r.res.Buckets = append(r.res.Buckets, Bucket{From: edges[i], To: edges[i+1], Tickets: len(w), MeanWait: mean(w),
			Model: errorStats(m, w), Naive: errorStats(n, w), Oracle: errorStats(o, w)})
	}
	for _, f := range r.cfg.Fields {
		ws := per[f.ID]
		fr := FieldResult{ID: f.ID, Name: f.Name, Tickets: len(ws), MeanWait: mean(ws), P90Wait: percentile(ws, 0.9), TargetMinutes: f.TargetMinutes, WithinTarget: math.NaN()}
		if f.TargetMinutes > 0 && len(ws) > 0 {
			n := 0
			for _, w := range ws {
				if w <= time.Duration(f.TargetMinutes)*time.Minute {
					n++
				}
			}
			fr.WithinTarget = float64(n) / float64(len(ws))
		}
		r.res.Fields = append(r.res.Fields, fr)
	}
}
