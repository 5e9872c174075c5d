// Package report computes the figures of GET /api/v1/reports (DATA-OUT.md):
// tickets issued, served, waits, service times, targets met, ratings,
// outcomes and dossiers, grouped by period, field, counter, clerk, hour or
// weekday. A day's tickets are first folded into per-day summaries (Acc per
// grouping dimension and key), which the store caches for finished days;
// a report merges the summaries of its range. Summaries keep every wait and
// service time (in milliseconds), so medians and percentiles are exact.
package report

import (
	"context"
	"fmt"
	"math"
	"slices"
	"time"
)

// Groupings (group_by).
const (
	ByDay     = "day"
	ByWeek    = "week"
	ByMonth   = "month"
	ByService = "service"
	ByCounter = "counter"
	ByClerk   = "clerk"
	ByHour    = "hour"
	ByWeekday = "weekday"
)

// Groupings lists every group_by value.
var Groupings = []string{ByDay, ByWeek, ByMonth, ByService, ByCounter, ByClerk, ByHour, ByWeekday}

// Dim is a dimension a day summary is kept for.
type Dim string

// Summary dimensions: DimAll holds the whole day (the periods, the total),
// the others one Acc per field, first counter, first clerk or issue hour.
const (
	DimAll     Dim = "all"
	DimService Dim = "service"
	DimCounter Dim = "counter"
	DimClerk   Dim = "clerk"
	DimHour    Dim = "hour"
)

// Dims lists the summary dimensions.
var Dims = []Dim{DimAll, DimService, DimCounter, DimClerk, DimHour}

// DimOf is the dimension a grouping reads.
func DimOf(groupBy string) Dim {
	switch groupBy {
	case ByService:
		return DimService
	case ByCounter:
		return DimCounter
	case ByClerk:
		return DimClerk
	case ByHour:
		return DimHour
	}
	return DimAll
}

// Rating scores and outcomes, in the order of the Row's keys.
var (
	Scores   = []string{"very_satisfied", "satisfied", "unsatisfied"}
	Reasons  = []string{"long_wait", "attitude", "unclear_guidance", "missing_information", "other"}
	Outcomes = []string{"received", "returned", "guided", "supplement", "refused", "other"}
)

// Fact is one ticket as a report sees it.
type Fact struct {
	Day string
	// Hour is the hour of issue in the centre's time zone.
	Hour int
	// ServiceID is the field the ticket was issued for.
	ServiceID string
	// CounterID and ClerkID are where and by whom it was first called
	// (empty: never called). ClerkID is the user id.
	CounterID, ClerkID string
	Status             string
	Transferred        bool
	// Wait is first call − issue (negative: never called); Service is done −
	// last call or recall (negative: not served).
	Wait, Service time.Duration
	// Target is the field's wait target (0: none).
	Target time.Duration
	Rating string
	// Reasons are the reasons given with an unsatisfied rating.
	Reasons  []string
	Outcome  string
	Dossiers int
}

// Acc adds tickets up.
type Acc struct {
	Issued, Served, NoShow, Transferred, Cancelled int
	Called, WithinTarget                           int
	Ratings                                        [3]int
	Reasons                                        [5]int
	Outcomes                                       [6]int
	Dossiers                                       int
	// Waits and Services are in milliseconds, in no particular order.
	Waits, Services []int32
	// Counters are the counters a clerk's tickets were first called at
	// (clerk dimension only): a disruption of one of them touches the clerk.
	Counters []string
}

func ms(d time.Duration) int32 {
	v := d.Milliseconds()
	if v > math.MaxInt32 {
		v = math.MaxInt32
	}
	return int32(v)
}

// Add counts one ticket.
func (a *Acc) Add(f Fact) {
	a.Issued++
	switch f.Status {
	case "done":
		a.Served++
	case "no_show":
		a.NoShow++
	case "cancelled":
		a.Cancelled++
	}
	if f.Transferred {
		a.Transferred++
	}
	if f.Wait >= 0 {
		a.Called++
		a.Waits = append(a.Waits, ms(f.Wait))
		if f.Target > 0 && f.Wait <= f.Target {
			a.WithinTarget++
		}
	}
	if f.Service >= 0 && f.Status == "done" {
		a.Services = append(a.Services, ms(f.Service))
	}
	if i := slices.Index(Scores, f.Rating); i >= 0 {
		a.Ratings[i]++
	}
	for _, r := range f.Reasons {
		if i := slices.Index(Reasons, r); i >= 0 {
			a.Reasons[i]++
		}
	}
	if i := slices.Index(Outcomes, f.Outcome); i >= 0 {
		a.Outcomes[i]++
	}
	a.Dossiers += f.Dossiers
}

// Merge adds b to a.
func (a *Acc) Merge(b *Acc) {
	a.Issued += b.Issued
	a.Served += b.Served
	a.NoShow += b.NoShow
	a.Transferred += b.Transferred
	a.Cancelled += b.Cancelled
	a.Called += b.Called
	a.WithinTarget += b.WithinTarget
	for i := range a.Ratings {
		a.Ratings[i] += b.Ratings[i]
	}
	for i := range a.Reasons {
		a.Reasons[i] += b.Reasons[i]
	}
	for i := range a.Outcomes {
		a.Outcomes[i] += b.Outcomes[i]
	}
	a.Dossiers += b.Dossiers
	a.Waits = append(a.Waits, b.Waits...)
	a.Services = append(a.Services, b.Services...)
	for _, c := range b.Counters {
		if !slices.Contains(a.Counters, c) {
			a.Counters = append(a.Counters, c)
		}
	}
}

// Day is one day's summaries: per dimension, per key.
type Day map[Dim]map[string]*Acc

// Summarize folds a day's tickets into its summaries.
func Summarize(facts []Fact) Day {
	d := Day{}
	for _, dim := range Dims {
		d[dim] = map[string]*Acc{}
	}
	add := func(dim Dim, key string, f Fact) *Acc {
		a := d[dim][key]
		if a == nil {
			a = &Acc{}
			d[dim][key] = a
		}
		a.Add(f)
		return a
	}
	for _, f := range facts {
		add(DimAll, "", f)
		add(DimService, f.ServiceID, f)
		add(DimHour, fmt.Sprint(f.Hour), f)
		if f.CounterID != "" {
			add(DimCounter, f.CounterID, f)
		}
		if f.ClerkID != "" {
			a := add(DimClerk, f.ClerkID, f)
			if f.CounterID != "" && !slices.Contains(a.Counters, f.CounterID) {
				a.Counters = append(a.Counters, f.CounterID)
			}
		}
	}
	return d
}

// Source gives the summaries of the days from..to (inclusive, YYYY-MM-DD)
// for one dimension: day → key → Acc. Days without tickets may be absent.
type Source interface {
	ReportDays(ctx context.Context, from, to string, dim Dim) (map[string]map[string]*Acc, error)
}

// Disruption is a period during which a disruption was open; CounterIDs
// empty means the whole centre.
type Disruption struct {
	Start, End time.Time
	CounterIDs []string
}

// Row is one line of a report (DATA-OUT.md).
type Row struct {
	Key               string   `json:"key"`
	Label             string   `json:"label"`
	Issued            int      `json:"issued"`
	Served            int      `json:"served"`
	NoShow            int      `json:"no_show"`
	Transferred       int      `json:"transferred"`
	Cancelled         int      `json:"cancelled"`
	WaitMean          *float64 `json:"wait_mean_seconds"`
	WaitMedian        *float64 `json:"wait_median_seconds"`
	WaitP90           *float64 `json:"wait_p90_seconds"`
	WaitMax           *float64 `json:"wait_max_seconds"`
	ServiceMean       *float64 `json:"service_mean_seconds"`
	ServiceP90        *float64 `json:"service_p90_seconds"`
	WithinTarget      int      `json:"within_target"`
	WithinTargetShare *float64 `json:"within_target_share"`
	Ratings           Ratings  `json:"ratings"`
	// RatingReasons extends DATA-OUT.md: the reasons given with the
	// unsatisfied ratings (a rating may give several).
	RatingReasons     RatingReasons `json:"rating_reasons"`
	Outcomes          Outcome       `json:"outcomes"`
	Dossiers          int           `json:"dossiers"`
	DisruptionMinutes float64       `json:"disruption_minutes"`
}

// Ratings counts ratings by score.
type Ratings struct {
	VerySatisfied int `json:"very_satisfied"`
	Satisfied     int `json:"satisfied"`
	Unsatisfied   int `json:"unsatisfied"`
}

// RatingReasons counts the reasons of unsatisfied ratings.
type RatingReasons struct {
	LongWait           int `json:"long_wait"`
	Attitude           int `json:"attitude"`
	UnclearGuidance    int `json:"unclear_guidance"`
	MissingInformation int `json:"missing_information"`
	Other              int `json:"other"`
}

// Outcome counts visit outcomes.
type Outcome struct {
	Received   int `json:"received"`
	Returned   int `json:"returned"`
	Guided     int `json:"guided"`
	Supplement int `json:"supplement"`
	Refused    int `json:"refused"`
	Other      int `json:"other"`
}

// Report is the answer of GET /api/v1/reports.
type Report struct {
	From    string `json:"from"`
	To      string `json:"to"`
	GroupBy string `json:"group_by"`
	Rows    []Row  `json:"rows"`
	Total   Row    `json:"total"`
}

func seconds(v float64) *float64 {
	v = math.Round(v) / 1000 // ms → s, kept to the millisecond
	return &v
}

// quantile is the nearest-rank quantile of sorted values: the smallest
// value with at least q of the values at or below it.
func quantile(sorted []int32, q float64) float64 {
	i := int(math.Ceil(q*float64(len(sorted)))) - 1
	return float64(sorted[max(i, 0)])
}

// median is the middle value, or the mean of the two middle values.
func median(sorted []int32) float64 {
	n := len(sorted)
	if n%2 == 1 {
		return float64(sorted[n/2])
	}
	return (float64(sorted[n/2-1]) + float64(sorted[n/2])) / 2
}

func mean(v []int32) float64 {
	var s int64
	for _, x := range v {
		s += int64(x)
	}
	return float64(s) / float64(len(v))
}

// Row turns the sums into a report row; figures over empty sets are nil.
func (a *Acc) Row(key, label string) Row {
	r := Row{Key: key, Label: label, Issued: a.Issued, Served: a.Served, NoShow: a.NoShow, Transferred: a.Transferred,
		Cancelled: a.Cancelled, WithinTarget: a.WithinTarget, Dossiers: a.Dossiers,
		Ratings:       Ratings{a.Ratings[0], a.Ratings[1], a.Ratings[2]},
		RatingReasons: RatingReasons{a.Reasons[0], a.Reasons[1], a.Reasons[2], a.Reasons[3], a.Reasons[4]},
		Outcomes:      Outcome{a.Outcomes[0], a.Outcomes[1], a.Outcomes[2], a.Outcomes[3], a.Outcomes[4], a.Outcomes[5]}}
	if len(a.Waits) > 0 {
		w := slices.Clone(a.Waits)
		slices.Sort(w)
		r.WaitMean, r.WaitMedian = seconds(mean(w)), seconds(median(w))
		r.WaitP90, r.WaitMax = seconds(quantile(w, 0.9)), seconds(float64(w[len(w)-1]))
	}
	if len(a.Services) > 0 {
		s := slices.Clone(a.Services)
		slices.Sort(s)
		r.ServiceMean, r.ServiceP90 = seconds(mean(s)), seconds(quantile(s, 0.9))
	}
	if a.Called > 0 {
		v := float64(a.WithinTarget) / float64(a.Called)
		r.WithinTargetShare = &v
	}
	return r
}
