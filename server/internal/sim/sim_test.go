package sim

import (
	"bytes"
	"context"
	"io/fs"
	"math"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/civiq/civiq/assets"
	"github.com/civiq/civiq/server/internal/config"
)

func demo(t testing.TB) *config.Centre {
	t.Helper()
	b, err := fs.ReadFile(assets.FS, "demo/centre.json")
	if err != nil {
		t.Fatal(err)
	}
	c, err := config.ParseCentre(b)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func quick(t *testing.T, seed uint64) *Result {
	t.Helper()
	fields, counters := Demo(demo(t))
	res, err := Run(context.Background(), Config{Fields: fields, Counters: counters, Days: 1, WarmupDays: 1, Seed: seed, Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// TestDeterministic: the same seed gives the same day, figure for figure,
// although the engine draws random ticket ids and runs on a fresh store.
func TestDeterministic(t *testing.T) {
	a, b := quick(t, 7), quick(t, 7)
	if !reflect.DeepEqual(a, b) {
		t.Fatalf("same seed, different results:\n%+v\n%+v", a, b)
	}
	if c := quick(t, 8); c.Tickets == a.Tickets && c.MeanWait == a.MeanWait {
		t.Fatalf("another seed gave the same day: %+v", c)
	}
	if a.Tickets < 200 || a.NoShows == 0 || a.MeanWait <= 0 {
		t.Fatalf("implausible day: %+v", a)
	}
}

// TestModelBeatsNaive keeps the measured claim of docs/PERFORMANCE.md
// honest on a short run: the model's mean absolute error is clearly below
// the naive estimate's.
func TestModelBeatsNaive(t *testing.T) {
	fields, counters := Demo(demo(t))
	res, err := Run(context.Background(), Config{Fields: fields, Counters: counters, Days: 2, WarmupDays: 1, Seed: 3, Dir: t.TempDir(), Oracle: true})
	if err != nil {
		t.Fatal(err)
	}
	if res.Model.MAE > res.Naive.MAE*8/10 {
		t.Fatalf("model MAE %v is not clearly below the naive %v", res.Model.MAE, res.Naive.MAE)
	}
	if share := res.Model.MAE.Seconds() / res.MeanWait.Seconds(); share > 0.35 {
		t.Fatalf("model MAE is %.0f %% of the mean wait", 100*share)
	}
	// The oracle knows the true parameters: nothing does better, and the
	// model stays close to it.
	t.Logf("MAE: model %v, naive %v, oracle %v (mean wait %v)", res.Model.MAE, res.Naive.MAE, res.Oracle.MAE, res.MeanWait)
	if res.Oracle.MAE <= 0 || res.Oracle.MAE > res.Model.MAE {
		t.Fatalf("oracle MAE %v, model %v: the floor is above the model", res.Oracle.MAE, res.Model.MAE)
	}
	if res.Model.MAE > res.Oracle.MAE*5/4 {
		t.Fatalf("model MAE %v is more than 25 %% above the oracle's %v", res.Model.MAE, res.Oracle.MAE)
	}
	// The range is meant to hold 8 in 10 waits.
	t.Logf("range: %d tickets, %.1f %% inside, %.1f %% sooner, median width %v", res.RangeTickets, 100*res.RangeCoverage, 100*res.RangeBelow, res.RangeWidth)
	if res.RangeTickets < res.Tickets/2 || res.RangeCoverage < 0.72 || res.RangeCoverage > 0.88 || res.RangeBelow < 0.03 || res.RangeBelow > 0.17 {
		t.Fatalf("range: %d of %d tickets, %.1f %% inside, %.1f %% sooner", res.RangeTickets, res.Tickets, 100*res.RangeCoverage, 100*res.RangeBelow)
	}
	var out bytes.Buffer
	res.WriteTable(&out)
	for _, want := range []string{"Đất đai (dat-dai)", "all fields", "mean absolute error"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("table lacks %q:\n%s", want, out.String())
		}
	}
}

// TestStaffing: one more counter for a field shortens its waits.
func TestStaffing(t *testing.T) {
	fields, counters := Demo(demo(t))
	cfg := Config{Fields: fields, Counters: counters, Days: 1, WarmupDays: 1, Seed: 5}
	cfg.Dir = t.TempDir()
	before, err := Run(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	cfg.Counters = append(append([]Counter{}, counters...), Counter{ID: "q9", Number: 9, ServiceIDs: []string{"tu-phap-ho-tich"}})
	cfg.Dir = t.TempDir()
	after, err := Run(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	get := func(r *Result) FieldResult {
		for _, f := range r.Fields {
			if f.ID == "tu-phap-ho-tich" {
				return f
			}
		}
		t.Fatal("no field")
		return FieldResult{}
	}
	b, a := get(before), get(after)
	if a.MeanWait >= b.MeanWait/2 || math.IsNaN(a.WithinTarget) || a.WithinTarget <= b.WithinTarget {
		t.Fatalf("an extra civil-status counter: %v → %v, within target %.2f → %.2f", b.MeanWait, a.MeanWait, b.WithinTarget, a.WithinTarget)
	}
}

func TestParseArrivals(t *testing.T) {
	in := "issued_at,service_id,priority\n2026-11-30T08:05:00+07:00,dat-dai,false\n07:45,tra-ket-qua,1\n07:45:30,dat-dai,\n"
	got, err := ParseArrivals(strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	want := []Arrival{{7*time.Hour + 45*time.Minute, "tra-ket-qua", true}, {7*time.Hour + 45*time.Minute + 30*time.Second, "dat-dai", false}, {8*time.Hour + 5*time.Minute, "dat-dai", false}}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %+v", got)
	}
	for _, bad := range []string{"", "x,y\nnot-a-time,dat-dai\n", "08:00\n", "08:00,dat-dai,maybe\n", "08:00,\n"} {
		if _, err := ParseArrivals(strings.NewReader(bad)); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

func TestParseProfile(t *testing.T) {
	p, err := ParseProfile([]byte(`{"fields":{"dat-dai":{"per_hour":10,"service_minutes":15},"tra-ket-qua":{"hourly":{"8":20,"9":5}}}}`))
	if err != nil {
		t.Fatal(err)
	}
	fields, _ := Demo(demo(t))
	if err := p.Apply(fields); err != nil {
		t.Fatal(err)
	}
	for _, f := range fields {
		switch f.ID {
		case "dat-dai":
			if f.MeanService != 15*time.Minute || f.Rate[8] != 10*MorningPeak[8] {
				t.Errorf("dat-dai %+v", f)
			}
		case "tra-ket-qua":
			if f.Rate[8] != 20 || f.Rate[9] != 5 || f.Rate[10] != 0 {
				t.Errorf("tra-ket-qua %+v", f.Rate)
			}
		}
	}
	for _, bad := range []string{`{"fields":{"a":{"per_hour":-1}}}`, `{"fields":{"a":{"hourly":{"25":1}}}}`, `{"fields":{"a":{"x":1}}}`, `{}{}`, `[`} {
		if _, err := ParseProfile([]byte(bad)); err == nil {
			t.Errorf("%s accepted", bad)
		}
	}
	p, _ = ParseProfile([]byte(`{"fields":{"nope":{"per_hour":1}}}`))
	if err := p.Apply(fields); err == nil {
		t.Error("unknown field accepted")
	}
}

func TestParseSessions(t *testing.T) {
	s, err := ParseSessions("07:30-11:30, 13:30-17:00")
	if err != nil || len(s) != 2 || s[1][0] != 13*time.Hour+30*time.Minute {
		t.Fatalf("%v %v", s, err)
	}
	for _, bad := range []string{"", "08:00", "09:00-08:00", "07:00-12:00,11:00-13:00", "7-8"} {
		if _, err := ParseSessions(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

func FuzzParseArrivals(f *testing.F) {
	f.Add("issued_at,service_id,priority\n08:00,dat-dai,1\n")
	f.Add("2026-11-30T08:05:00+07:00,a,false\n")
	f.Add("\"08:00\",\"x\"\n07:00,y,0")
	f.Fuzz(func(t *testing.T, s string) {
		a, err := ParseArrivals(strings.NewReader(s))
		if err == nil && len(a) == 0 {
			t.Fatal("no error and no rows")
		}
		for i := 1; i < len(a); i++ {
			if a[i].At < a[i-1].At {
				t.Fatal("not sorted")
			}
		}
	})
}

func FuzzParseProfile(f *testing.F) {
	f.Add(`{"fields":{"dat-dai":{"per_hour":10,"service_minutes":15}}}`)
	f.Add(`{"fields":{"x":{"hourly":{"8":20}}}}`)
	f.Fuzz(func(t *testing.T, s string) {
		p, err := ParseProfile([]byte(s))
		if err != nil {
			return
		}
		for _, l := range p.Fields {
			if l.ServiceMinutes < 0 || l.ServiceMinutes > 600 {
				t.Fatal("bad service minutes accepted")
			}
		}
	})
}

// TestComparePriority: the rules run on the same citizens (same tickets of
// each class), and they order the classes as they claim: priority tickets
// wait least under strict, more under interleave 1:4, most under off, and
// the table lists every rule.
func TestComparePriority(t *testing.T) {
	fields, counters := Demo(demo(t))
	cfg := Config{Fields: fields, Counters: counters, Days: 1, WarmupDays: 1, Seed: 5, PriorityShare: 0.15}
	rules := []Rule{CompareRules[0], CompareRules[2], CompareRules[3]}
	rs, err := ComparePriority(context.Background(), cfg, rules)
	if err != nil {
		t.Fatal(err)
	}
	if len(rs) != 3 {
		t.Fatalf("%d results", len(rs))
	}
	strict, inter, off := rs[0].Result, rs[1].Result, rs[2].Result
	for _, r := range rs[1:] {
		if r.Result.Priority.Tickets != strict.Priority.Tickets || r.Result.Regular.Tickets != strict.Regular.Tickets {
			t.Fatalf("%s saw other citizens: %+v / %+v vs %+v / %+v", r.Rule.Name, r.Result.Priority, r.Result.Regular, strict.Priority, strict.Regular)
		}
	}
	if strict.Priority.Tickets < 20 {
		t.Fatalf("too few priority tickets to compare: %d", strict.Priority.Tickets)
	}
	if !(strict.Priority.MeanWait < inter.Priority.MeanWait && inter.Priority.MeanWait < off.Priority.MeanWait) {
		t.Fatalf("priority mean waits strict %v, interleave 1:4 %v, off %v: want increasing", strict.Priority.MeanWait, inter.Priority.MeanWait, off.Priority.MeanWait)
	}
	if !(off.Regular.MeanWait < strict.Regular.MeanWait) {
		t.Fatalf("regular mean waits: off %v, strict %v; want off shorter", off.Regular.MeanWait, strict.Regular.MeanWait)
	}
	var b bytes.Buffer
	WriteRuleTable(&b, rs)
	for _, r := range rules {
		if !strings.Contains(b.String(), "| "+r.Name+" |") {
			t.Fatalf("table lacks %s:\n%s", r.Name, b.String())
		}
	}
}

// bookedComparison simulates the same citizens, 15 % of them booked, once
// under each rule that TestCompareBooked and TestCompareBookedPositions
// compare: the strict rule's day, which both need, runs once (a run is
// deterministic: TestDeterministic).
var bookedComparison = sync.OnceValues(func() ([]RuleResult, error) {
	b, err := fs.ReadFile(assets.FS, "demo/centre.json")
	if err != nil {
		return nil, err
	}
	c, err := config.ParseCentre(b)
	if err != nil {
		return nil, err
	}
	fields, counters := Demo(c)
	cfg := Config{Fields: fields, Counters: counters, Days: 1, WarmupDays: 1, Seed: 5, BookedShare: 0.15}
	return ComparePriority(context.Background(), cfg, []Rule{CompareRules[0], CompareRules[3], CompareBookedRules[0], CompareBookedRules[1]})
})

// bookedRuns is bookedComparison's results for rules, in that order.
func bookedRuns(t *testing.T, rules ...Rule) []RuleResult {
	t.Helper()
	all, err := bookedComparison()
	if err != nil {
		t.Fatal(err)
	}
	var out []RuleResult
	for _, ru := range rules {
		i := slices.IndexFunc(all, func(r RuleResult) bool { return r.Rule == ru })
		if i < 0 {
			t.Fatalf("rule %q not simulated", ru.Name)
		}
		out = append(out, all[i])
	}
	return out
}

// TestCompareBooked: with a share of citizens who booked, each rule sees
// the same booked, priority and regular citizens; booked tickets are
// checked in through the engine's bookings (Result.Booked), wait less
// than walk-ins (inside their window they are called first), and the
// table gets the booked columns.
func TestCompareBooked(t *testing.T) {
	rs := bookedRuns(t, CompareRules[0], CompareRules[3])
	strict, off := rs[0].Result, rs[1].Result
	if strict.Booked.Tickets < 20 || off.Booked.Tickets != strict.Booked.Tickets ||
		off.Priority.Tickets != strict.Priority.Tickets || off.Regular.Tickets != strict.Regular.Tickets {
		t.Fatalf("booked %+v / %+v, priority %d / %d, regular %d / %d", strict.Booked, off.Booked,
			strict.Priority.Tickets, off.Priority.Tickets, strict.Regular.Tickets, off.Regular.Tickets)
	}
	for _, r := range rs {
		if r.Result.Booked.MeanWait >= r.Result.Regular.MeanWait {
			t.Errorf("%s: booked mean wait %v, regular %v; want the booked shorter", r.Rule.Name, r.Result.Booked.MeanWait, r.Result.Regular.MeanWait)
		}
	}
	var b bytes.Buffer
	WriteRuleTable(&b, rs)
	if !strings.Contains(b.String(), "booked p90") {
		t.Fatalf("table lacks the booked columns:\n%s", b.String())
	}
}

// TestCompareBookedPositions: the booked positions on the same citizens:
// the same tickets of each class; booked citizens wait least when called
// first, priority ones less when they go before booked ones; every row of
// the table has the booked columns.
func TestCompareBookedPositions(t *testing.T) {
	rs := bookedRuns(t, CompareRules[0], CompareBookedRules[0], CompareBookedRules[1])
	first, after, inLine := rs[0].Result, rs[1].Result, rs[2].Result
	for _, r := range rs {
		t.Logf("%s: booked %d mean %v p90 %v; priority mean %v; regular mean %v", r.Rule.Name, r.Result.Booked.Tickets,
			r.Result.Booked.MeanWait, r.Result.Booked.P90Wait, r.Result.Priority.MeanWait, r.Result.Regular.MeanWait)
		if x := r.Result; x.Booked.Tickets != first.Booked.Tickets || x.Priority.Tickets != first.Priority.Tickets || x.Regular.Tickets != first.Regular.Tickets {
			t.Fatalf("%s: other citizens than the first rule's", r.Rule.Name)
		}
	}
	if first.Booked.Tickets < 20 {
		t.Fatalf("only %d booked tickets", first.Booked.Tickets)
	}
	if first.Booked.MeanWait > after.Booked.MeanWait || first.Booked.MeanWait > inLine.Booked.MeanWait {
		t.Errorf("booked mean wait: first %v, after priority %v, in line %v; want first the shortest", first.Booked.MeanWait, after.Booked.MeanWait, inLine.Booked.MeanWait)
	}
	if after.Priority.MeanWait > first.Priority.MeanWait {
		t.Errorf("priority mean wait: after priority %v, first %v; want priority no longer when it goes before booked", after.Priority.MeanWait, first.Priority.MeanWait)
	}
	var b bytes.Buffer
	WriteRuleTable(&b, rs)
	if !strings.Contains(b.String(), "strict, booked in line at slot time") || !strings.Contains(b.String(), "booked p90") {
		t.Fatalf("table:\n%s", b.String())
	}
}
