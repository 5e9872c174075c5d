package sim

import (
	"context"
	"fmt"
	"io"
	"math"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/civiq/civiq/server/protocol"
)

func mins(d time.Duration) string { return fmt.Sprintf("%.1f min", d.Minutes()) }

func pct(part, whole time.Duration) string {
	if whole <= 0 {
		return "–"
	}
	return fmt.Sprintf("%.0f %%", 100*part.Seconds()/whole.Seconds())
}

// WriteTable prints the waits per field and the estimate's accuracy as a
// plain-text table (the `server simulate` output).
func (r *Result) WriteTable(w io.Writer) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "field\ttickets\tmean wait\tp90 wait\twithin target\t")
	for _, f := range r.Fields {
		target := "–"
		if !math.IsNaN(f.WithinTarget) {
			target = fmt.Sprintf("%.0f %% ≤ %d min", 100*f.WithinTarget, f.TargetMinutes)
		}
		fmt.Fprintf(tw, "%s\t%d\t%s\t%s\t%s\t\n", f.Name.Vi+" ("+f.ID+")", f.Tickets, mins(f.MeanWait), mins(f.P90Wait), target)
	}
	fmt.Fprintf(tw, "all fields\t%d\t%s\t%s\t\t\n", r.Tickets, mins(r.MeanWait), mins(r.P90Wait))
	tw.Flush()
	fmt.Fprintf(w, "\n%d no-shows, %d clerk pauses.\n", r.NoShows, r.Pauses)
	fmt.Fprintf(w, "Expected wait at issue: mean absolute error %s (%s of the mean wait), p90 error %s; naive estimate %s (%s), p90 %s",
		mins(r.Model.MAE), pct(r.Model.MAE, r.MeanWait), mins(r.Model.P90), mins(r.Naive.MAE), pct(r.Naive.MAE, r.MeanWait), mins(r.Naive.P90))
	if r.Oracle.MAE > 0 {
		fmt.Fprintf(w, "; best possible (oracle) %s (%s), p90 %s", mins(r.Oracle.MAE), pct(r.Oracle.MAE, r.MeanWait), mins(r.Oracle.P90))
	}
	fmt.Fprintln(w, ".")
	if r.RangeTickets > 0 {
		fmt.Fprintf(w, "Range at issue: %.0f %% of %d citizens given one were called inside it (%.0f %% sooner, %.0f %% later); median width %s.\n",
			100*r.RangeCoverage, r.RangeTickets, 100*r.RangeBelow, 100*(1-r.RangeCoverage-r.RangeBelow), mins(r.RangeWidth))
	}
}

// Scenario is one named simulation of the accuracy report.
type Scenario struct {
	Name   string
	Result *Result
}

// WriteAccuracy writes the docs/PERFORMANCE.md section on the accuracy of
// the expected wait (produced by `server simulate -accuracy`).
func WriteAccuracy(w io.Writer, base Scenario, variants []Scenario, setup string) {
	r := base.Result
	var b strings.Builder
	fmt.Fprintf(&b, "## Expected wait accuracy\n\n")
	fmt.Fprintf(&b, "Produced by `go run ./server simulate -accuracy -days %d` (last line of `make bench`). %s\n\n", r.Days, setup)
	fmt.Fprintf(&b, "Main scenario (%s): %d tickets over %d days, mean wait %s, p90 wait %s.\n\n", base.Name, r.Tickets, r.Days, mins(r.MeanWait), mins(r.P90Wait))
	fmt.Fprintf(&b, "| estimate of the wait, made at issue | mean absolute error | as share of the mean wait | p90 absolute error | mean signed error |\n|---|---|---|---|---|\n")
	fmt.Fprintf(&b, "| CiviQ model (`eta_seconds`) | %s | %s | %s | %+.1f min |\n", mins(r.Model.MAE), pct(r.Model.MAE, r.MeanWait), mins(r.Model.P90), r.Model.Bias.Minutes())
	fmt.Fprintf(&b, "| naive: ahead × mean service ÷ counters | %s | %s | %s | %+.1f min |\n", mins(r.Naive.MAE), pct(r.Naive.MAE, r.MeanWait), mins(r.Naive.P90), r.Naive.Bias.Minutes())
	fmt.Fprintf(&b, "| best possible: oracle that knows the simulator's true parameters | %s | %s | %s | %+.1f min |\n\n", mins(r.Oracle.MAE), pct(r.Oracle.MAE, r.MeanWait), mins(r.Oracle.P90), r.Oracle.Bias.Minutes())
	if r.RangeTickets > 0 {
		fmt.Fprintf(&b, "The range shown with the estimate (`eta_low_seconds`–`eta_high_seconds`, meant to hold 8 in 10 waits): %d of the tickets were given one at issue (the others were called at once or had no open counter); %.1f %% of them were called inside it, %.1f %% sooner and %.1f %% later; its median width was %s.\n\n",
			r.RangeTickets, 100*r.RangeCoverage, 100*r.RangeBelow, 100*(1-r.RangeCoverage-r.RangeBelow), mins(r.RangeWidth))
	}
	fmt.Fprintf(&b, "While waiting (what the phone page shows): every 5 minutes, each waiting ticket's current estimate against its actual remaining wait — %d samples, mean remaining wait %s:\n\n", r.LiveSamples, mins(r.LiveMeanLeft))
	fmt.Fprintf(&b, "| estimate of the remaining wait | mean absolute error | as share of the mean remaining wait | p90 absolute error |\n|---|---|---|---|\n")
	fmt.Fprintf(&b, "| CiviQ model | %s | %s | %s |\n", mins(r.LiveModel.MAE), pct(r.LiveModel.MAE, r.LiveMeanLeft), mins(r.LiveModel.P90))
	fmt.Fprintf(&b, "| naive | %s | %s | %s |\n\n", mins(r.LiveNaive.MAE), pct(r.LiveNaive.MAE, r.LiveMeanLeft), mins(r.LiveNaive.P90))
	fmt.Fprintf(&b, "The range shown while waiting held the remaining wait in %.1f %% of the samples that had one.\n\n", 100*r.LiveRangeCoverage)
	fmt.Fprintf(&b, "By actual wait (main scenario):\n\n| actual wait | tickets | mean wait | model MAE | naive MAE | oracle MAE |\n|---|---|---|---|---|---|\n")
	for _, k := range r.Buckets {
		to := fmt.Sprintf("%.0f min", k.To.Minutes())
		if k.To >= 24*time.Hour {
			to = "…"
		}
		fmt.Fprintf(&b, "| %.0f – %s | %d | %s | %s (%s) | %s (%s) | %s (%s) |\n", k.From.Minutes(), to, k.Tickets, mins(k.MeanWait),
			mins(k.Model.MAE), pct(k.Model.MAE, k.MeanWait), mins(k.Naive.MAE), pct(k.Naive.MAE, k.MeanWait), mins(k.Oracle.MAE), pct(k.Oracle.MAE, k.MeanWait))
	}
	fmt.Fprintf(&b, "\nOther scenarios (same centre; same seed unless named):\n\n| scenario | tickets | mean wait | model MAE | naive MAE | oracle MAE | inside the range |\n|---|---|---|---|---|---|---|\n")
	for _, v := range variants {
		x := v.Result
		fmt.Fprintf(&b, "| %s | %d | %s | %s (%s) | %s (%s) | %s (%s) | %.0f %% |\n", v.Name, x.Tickets, mins(x.MeanWait), mins(x.Model.MAE), pct(x.Model.MAE, x.MeanWait),
			mins(x.Naive.MAE), pct(x.Naive.MAE, x.MeanWait), mins(x.Oracle.MAE), pct(x.Oracle.MAE, x.MeanWait), 100*x.RangeCoverage)
	}
	io.WriteString(w, b.String())
}

// Rule is one priority rule the simulator compares (protocol.Service's
// PriorityRule, PriorityEvery and BookedPosition; no Booked: first).
type Rule struct {
	Name   string
	Rule   string
	Every  int
	Booked string
}

// CompareRules are the rules `server simulate -compare-priority` compares.
var CompareRules = []Rule{
	{"strict (priority first, ≤ 3 in a row)", protocol.PriorityStrict, 0, ""},
	{"interleave 1 : 2", protocol.PriorityInterleave, 2, ""},
	{"interleave 1 : 4", protocol.PriorityInterleave, 4, ""},
	{"off (by issue time)", protocol.PriorityOff, 0, ""},
}

// CompareBookedRules are the booked positions `server simulate
// -compare-priority -booked` adds to CompareRules (whose booked tickets
// go first): each under the strict rule, so the booked position alone
// differs from the first row.
var CompareBookedRules = []Rule{
	{"strict, booked after priority", protocol.PriorityStrict, 0, protocol.BookedAfterPriority},
	{"strict, booked in line at slot time", protocol.PriorityStrict, 0, protocol.BookedInLine},
	{"interleave 1 : 2, booked in line", protocol.PriorityInterleave, 2, protocol.BookedInLine},
}

// RuleResult is one rule's simulation.
type RuleResult struct {
	Rule   Rule
	Result *Result
}

// ComparePriority simulates cfg once per rule, every field under that
// rule. The seed draws the same citizens (arrivals, priority, service
// needs, no-shows) for every rule, so only the call order differs.
func ComparePriority(ctx context.Context, cfg Config, rules []Rule) ([]RuleResult, error) {
	out := make([]RuleResult, 0, len(rules))
	for _, ru := range rules {
		c := cfg
		c.Fields = slices.Clone(cfg.Fields)
		c.PriorityRule, c.PriorityEvery, c.BookedPosition = ru.Rule, ru.Every, ru.Booked
		res, err := Run(ctx, c)
		if err != nil {
			return nil, fmt.Errorf("rule %s: %w", ru.Name, err)
		}
		out = append(out, RuleResult{Rule: ru, Result: res})
	}
	return out, nil
}

// WriteRuleTable prints the mean and p90 wait of each class per rule as a
// Markdown table.
func WriteRuleTable(w io.Writer, rs []RuleResult) {
	booked := slices.ContainsFunc(rs, func(r RuleResult) bool { return r.Result.Booked.Tickets > 0 })
	head, line := "| rule | priority tickets | priority mean | priority p90 | regular tickets | regular mean | regular p90 |", "|---|---:|---:|---:|---:|---:|---:|"
	if booked {
		head, line = head+" booked tickets | booked mean | booked p90 |", line+"---:|---:|---:|"
	}
	fmt.Fprintln(w, head+" all mean | all p90 |")
	fmt.Fprintln(w, line+"---:|---:|")
	for _, r := range rs {
		p, g, k := r.Result.Priority, r.Result.Regular, r.Result.Booked
		fmt.Fprintf(w, "| %s | %d | %s | %s | %d | %s | %s |", r.Rule.Name, p.Tickets, mins(p.MeanWait), mins(p.P90Wait),
			g.Tickets, mins(g.MeanWait), mins(g.P90Wait))
		if booked {
			fmt.Fprintf(w, " %d | %s | %s |", k.Tickets, mins(k.MeanWait), mins(k.P90Wait))
		}
		fmt.Fprintf(w, " %s | %s |\n", mins(r.Result.MeanWait), mins(r.Result.P90Wait))
	}
}
