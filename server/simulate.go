package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"slices"
	"strings"

	"github.com/civiq/civiq/assets"
	"github.com/civiq/civiq/server/internal/config"
	"github.com/civiq/civiq/server/internal/sim"
)

// simulate is "server simulate": the staffing simulator for supervisors.
// It runs the real queue engine through simulated days and prints the
// expected waits per field; with -accuracy it prints the expected-wait
// accuracy section of docs/PERFORMANCE.md instead.
func simulate(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fl := flag.NewFlagSet("server simulate", flag.ContinueOnError)
	fl.SetOutput(stderr)
	centreFile := fl.String("centre", "", "centre file (default: the embedded demo centre)")
	profile := fl.String("profile", "", "arrival profile (JSON: per field per_hour or hourly rates and service_minutes)")
	arrivals := fl.String("arrivals", "", "CSV of a past day (issued_at,service_id[,priority]) replayed every day instead of random arrivals")
	counters := fl.String("counters", "", "comma-separated counter ids to open (default: all of the centre's)")
	add := fl.String("add", "", "extra counters, comma-separated, each a +-joined list of field ids (e.g. dat-dai+xay-dung,tra-ket-qua)")
	sessions := fl.String("sessions", "07:30-11:30,13:30-17:00", "opening sessions (arrivals happen inside them)")
	days := fl.Int("days", 5, "days to simulate")
	warmup := fl.Int("warmup", 1, "unmeasured days first (the service-time history fills)")
	seed := fl.Uint64("seed", 1, "random seed (same seed, same result)")
	sigma := fl.Float64("sigma", 0.5, "spread of service times (lognormal shape)")
	priority := fl.Float64("priority", 0.08, "share of priority tickets")
	noShow := fl.Float64("no-show", 0.05, "share of citizens gone when called")
	pause := fl.Float64("pause", 0.03, "chance that a clerk pauses after a service")
	booked := fl.Float64("booked", 0, "share of citizens who booked a time (checked in on arrival for the first slot 5 minutes or more ahead; default none)")
	accuracy := fl.Bool("accuracy", false, "print the expected-wait accuracy report (Markdown) for the demo centre")
	comparePrio := fl.Bool("compare-priority", false, "compare the priority rules (strict, interleave 1:2 and 1:4, off) on the same citizens: mean and p90 wait of priority and regular tickets")
	if err := fl.Parse(args); err != nil {
		return err
	}
	if fl.NArg() > 0 {
		return fmt.Errorf("simulate: unexpected argument %q", fl.Arg(0))
	}
	if *days < 1 || *days > 366 || *warmup < 0 || *warmup > 30 {
		return fmt.Errorf("simulate: -days must be 1–366 and -warmup 0–30")
	}
	for _, v := range []struct {
		name string
		x    float64
	}{{"priority", *priority}, {"no-show", *noShow}, {"pause", *pause}, {"booked", *booked}} {
		if v.x < 0 || v.x > 1 {
			return fmt.Errorf("simulate: -%s must be a share between 0 and 1", v.name)
		}
	}
	if *sigma <= 0 || *sigma > 2 {
		return fmt.Errorf("simulate: -sigma must be between 0 and 2")
	}
	var b []byte
	var err error
	if *centreFile == "" {
		b, err = fs.ReadFile(assets.FS, "demo/centre.json")
	} else {
		b, err = os.ReadFile(*centreFile)
	}
	if err != nil {
		return err
	}
	centre, err := config.ParseCentre(b)
	if err != nil {
		return err
	}
	sess, err := sim.ParseSessions(*sessions)
	if err != nil {
		return err
	}
	// A share of 0 means "none": the simulator's zero means "default".
	share := func(x float64) float64 {
		if x == 0 {
			return 1e-12
		}
		return x
	}
	base := sim.Config{Days: *days, WarmupDays: *warmup, Seed: *seed, Sessions: sess,
		PriorityShare: share(*priority), NoShowShare: share(*noShow), PauseChance: share(*pause), BookedShare: *booked}
	if *accuracy {
		return accuracyReport(ctx, centre, base, stdout)
	}
	fields, cs := sim.Demo(centre)
	for i := range fields {
		fields[i].Sigma = *sigma
		if _, ok := sim.DemoLoad[fields[i].ID]; !ok && *profile == "" && *arrivals == "" {
			fmt.Fprintf(stderr, "note: field %s has no load in the demo profile; assuming 3 an hour, %v each\n", fields[i].ID, "5 min")
		}
	}
	if *profile != "" {
		pb, err := os.ReadFile(*profile)
		if err != nil {
			return err
		}
		p, err := sim.ParseProfile(pb)
		if err != nil {
			return err
		}
		if err := p.Apply(fields); err != nil {
			return err
		}
	}
	if *arrivals != "" {
		f, err := os.Open(*arrivals)
		if err != nil {
			return err
		}
		base.Replay, err = sim.ParseArrivals(f)
		f.Close()
		if err != nil {
			return err
		}
	}
	if *counters != "" {
		want := strings.Split(*counters, ",")
		var keep []sim.Counter
		for _, id := range want {
			i := slices.IndexFunc(cs, func(c sim.Counter) bool { return c.ID == strings.TrimSpace(id) })
			if i < 0 {
				return fmt.Errorf("simulate: the centre has no counter %q", id)
			}
			keep = append(keep, cs[i])
		}
		cs = keep
	}
	if *add != "" {
		known := map[string]bool{}
		for _, f := range fields {
			known[f.ID] = true
		}
		top := 0
		for _, c := range cs {
			top = max(top, c.Number)
		}
		for i, spec := range strings.Split(*add, ",") {
			ids := strings.Split(strings.TrimSpace(spec), "+")
			for _, id := range ids {
				if !known[id] {
					return fmt.Errorf("simulate: -add: unknown field %q", id)
				}
			}
			top++
			cs = append(cs, sim.Counter{ID: fmt.Sprintf("extra-%d", i+1), Number: top, ServiceIDs: ids})
		}
	}
	base.Fields, base.Counters = fields, cs
	if *comparePrio {
		rules := sim.CompareRules
		if base.BookedShare > 0 {
			rules = append(slices.Clone(rules), sim.CompareBookedRules...)
		}
		rs, err := sim.ComparePriority(ctx, base, rules)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "CiviQ priority rules compared: %d days (after %d warm-up), seed %d, %d counters, %.0f %% priority tickets, %.0f %% booked; the same citizens under each rule, every field under the rule.\n\n",
			*days, *warmup, *seed, len(cs), 100*base.PriorityShare, 100*base.BookedShare)
		sim.WriteRuleTable(stdout, rs)
		return nil
	}
	res, err := sim.Run(ctx, base)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "CiviQ staffing simulation: %d days (after %d warm-up), seed %d, %d counters:\n", *days, *warmup, *seed, len(cs))
	for _, c := range cs {
		fmt.Fprintf(stdout, "  counter %d (%s): %s\n", c.Number, c.ID, strings.Join(c.ServiceIDs, ", "))
	}
	fmt.Fprintln(stdout)
	res.WriteTable(stdout)
	return nil
}

// accuracyReport runs the demo centre under the demo load and a few
// variations and prints the Markdown section.
func accuracyReport(ctx context.Context, centre *config.Centre, base sim.Config, stdout io.Writer) error {
	run := func(name string, edit func(*sim.Config)) (sim.Scenario, error) {
		cfg := base
		cfg.Oracle = true
		cfg.Fields, cfg.Counters = sim.Demo(centre)
		if edit != nil {
			edit(&cfg)
		}
		r, err := sim.Run(ctx, cfg)
		return sim.Scenario{Name: name, Result: r}, err
	}
	main, err := run("demo centre, demo load, service-time spread σ = 0.5", nil)
	if err != nil {
		return err
	}
	spread := func(s float64) func(*sim.Config) {
		return func(c *sim.Config) {
			for i := range c.Fields {
				c.Fields[i].Sigma = s
			}
		}
	}
	load := func(k float64) func(*sim.Config) {
		return func(c *sim.Config) {
			for i := range c.Fields {
				for h := range c.Fields[i].Rate {
					c.Fields[i].Rate[h] *= k
				}
			}
		}
	}
	var variants []sim.Scenario
	for _, v := range []struct {
		name string
		edit func(*sim.Config)
	}{
		{"steadier services, σ = 0.3", spread(0.3)},
		{"more varied services, σ = 0.8", spread(0.8)},
		{"quieter day, 80 % of the arrivals", load(0.8)},
		{"busier day, 110 % of the arrivals", load(1.1)},
		{"no pauses, no no-shows, no priority", func(c *sim.Config) { c.PauseChance, c.NoShowShare, c.PriorityShare = 1e-12, 1e-12, 1e-12 }},
		// Other seeds: other days and other clerks (speeds are drawn per seed).
		{fmt.Sprintf("seed %d", base.Seed+1), func(c *sim.Config) { c.Seed++ }},
		{fmt.Sprintf("seed %d", base.Seed+2), func(c *sim.Config) { c.Seed += 2 }},
	} {
		s, err := run(v.name, v.edit)
		if err != nil {
			return err
		}
		variants = append(variants, s)
	}
	setup := fmt.Sprintf("The simulator (`server/internal/sim`) drives the real queue engine on a real SQLite store with a virtual clock: the demo centre's 8 fields and 8 counters (several serving more than one field, clerks 0.8–1.25× the average speed), Poisson arrivals with a morning peak (`sim.DemoLoad`, `sim.MorningPeak`), lognormal service times, %.0f %% priority tickets, %.0f %% no-shows (marked after 2 min), clerks pausing after %.0f %% of services (≈ 10 min), sessions 07:30–11:30 and 13:30–17:00; %d measured days after %d warm-up day(s), seed %d. The error is the estimate shown at issue (`eta_seconds`) against the actual wait from issue to call.",
		100*base.PriorityShare, 100*base.NoShowShare, 100*base.PauseChance, base.Days, base.WarmupDays, base.Seed)
	sim.WriteAccuracy(stdout, main, variants, setup)
	return nil
}
