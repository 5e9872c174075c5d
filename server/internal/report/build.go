package report

import (
	"context"
	"fmt"
	"math"
	"slices"
	"sort"
	"strconv"
	"time"

	"github.com/civiq/civiq/server/protocol"
)

// MaxDays is the longest range a report may cover.
const MaxDays = 3 * 366

// Formats of a report.
const (
	FormatJSON = "json"
	FormatCSV  = "csv"
	FormatXLSX = "xlsx"
)

// Query is a validated report request.
type Query struct {
	From, To, GroupBy, Format string
}

// ParseQuery validates the query parameters of GET /api/v1/reports.
func ParseQuery(from, to, groupBy, format string) (Query, error) {
	q := Query{From: from, To: to, GroupBy: groupBy, Format: format}
	if q.GroupBy == "" {
		q.GroupBy = ByDay
	}
	if q.Format == "" {
		q.Format = FormatJSON
	}
	f, err := time.Parse(time.DateOnly, from)
	if err != nil || f.Format(time.DateOnly) != from {
		return q, fmt.Errorf("from must be a date YYYY-MM-DD")
	}
	t, err := time.Parse(time.DateOnly, to)
	if err != nil || t.Format(time.DateOnly) != to {
		return q, fmt.Errorf("to must be a date YYYY-MM-DD")
	}
	if t.Before(f) {
		return q, fmt.Errorf("to is before from")
	}
	if t.Sub(f) >= MaxDays*24*time.Hour {
		return q, fmt.Errorf("a report covers at most %d days", MaxDays)
	}
	if f.Year() < 2000 || t.Year() > 2200 {
		return q, fmt.Errorf("dates must be between 2000 and 2200")
	}
	if !slices.Contains(Groupings, q.GroupBy) {
		return q, fmt.Errorf("group_by must be one of %v", Groupings)
	}
	switch q.Format {
	case FormatJSON, FormatCSV, FormatXLSX:
	default:
		return q, fmt.Errorf("format must be json, csv or xlsx")
	}
	return q, nil
}

// User names a clerk.
type User struct {
	Username, Name string
}

// Env is what a report needs besides the tickets: the centre's time zone,
// names for the keys, and the disruptions that overlap the range.
type Env struct {
	Location    *time.Location
	Services    []protocol.Service
	Counters    []protocol.Counter
	Users       map[string]User // by user id
	Disruptions []Disruption
}

// Weekdays are the weekday keys, Monday first.
var Weekdays = []string{"mon", "tue", "wed", "thu", "fri", "sat", "sun"}

var weekdayVi = []string{"Thứ Hai", "Thứ Ba", "Thứ Tư", "Thứ Năm", "Thứ Sáu", "Thứ Bảy", "Chủ nhật"}

func weekdayIndex(d time.Time) int { return (int(d.Weekday()) + 6) % 7 }

// days lists the days from..to.
func days(from, to string) []time.Time {
	f, _ := time.Parse(time.DateOnly, from)
	t, _ := time.Parse(time.DateOnly, to)
	var out []time.Time
	for d := f; !d.After(t); d = d.AddDate(0, 0, 1) {
		out = append(out, d)
	}
	return out
}

// periodKey is the row key of a day for the period groupings.
func periodKey(groupBy string, d time.Time) (key, label string) {
	switch groupBy {
	case ByWeek:
		y, w := d.ISOWeek()
		return fmt.Sprintf("%04d-W%02d", y, w), fmt.Sprintf("Tuần %d/%d", w, y)
	case ByMonth:
		return d.Format("2006-01"), fmt.Sprintf("Tháng %d/%d", d.Month(), d.Year())
	case ByWeekday:
		i := weekdayIndex(d)
		return Weekdays[i], weekdayVi[i]
	}
	return d.Format(time.DateOnly), d.Format("02/01/2006")
}

type group struct {
	key, label string
	order      int
	acc        Acc
	// windows are the row's periods (for disruption minutes); counters
	// whose disruptions touch the row (nil: only centre-wide ones; all:
	// every disruption).
	windows  [][2]time.Time
	counters []string
	all      bool
}

// Build computes a report.
func Build(ctx context.Context, src Source, q Query, env Env) (Report, error) {
	if env.Location == nil {
		env.Location = time.UTC
	}
	loc := env.Location
	dim := DimOf(q.GroupBy)
	data, err := src.ReportDays(ctx, q.From, q.To, dim)
	if err != nil {
		return Report{}, err
	}
	allData := data
	if dim != DimAll {
		if allData, err = src.ReportDays(ctx, q.From, q.To, DimAll); err != nil {
			return Report{}, err
		}
	}
	rangeDays := days(q.From, q.To)
	dayWindow := func(d time.Time) [2]time.Time {
		s := time.Date(d.Year(), d.Month(), d.Day(), 0, 0, 0, 0, loc)
		return [2]time.Time{s, time.Date(d.Year(), d.Month(), d.Day()+1, 0, 0, 0, 0, loc)}
	}
	whole := [][2]time.Time{{dayWindow(rangeDays[0])[0], dayWindow(rangeDays[len(rangeDays)-1])[1]}}

	groups := map[string]*group{}
	get := func(key string, mk func() *group) *group {
		g := groups[key]
		if g == nil {
			g = mk()
			groups[key] = g
		}
		return g
	}
	var total Acc
	for _, d := range rangeDays {
		day := d.Format(time.DateOnly)
		if a := allData[day][""]; a != nil {
			total.Merge(a)
		}
		switch dim {
		case DimAll:
			a := data[day][""]
			if a == nil {
				continue // groups without tickets are left out
			}
			key, label := periodKey(q.GroupBy, d)
			g := get(key, func() *group {
				order := int(d.Unix() / 86400)
				if q.GroupBy == ByWeekday {
					order = weekdayIndex(d)
				}
				return &group{key: key, label: label, order: order, all: true}
			})
			g.acc.Merge(a)
		case DimHour:
			for h := range 24 {
				key := strconv.Itoa(h)
				a := data[day][key]
				if a == nil {
					continue
				}
				g := get(key, func() *group {
					return &group{key: key, label: fmt.Sprintf("%02d:00–%02d:00", h, h+1), order: h, all: true}
				})
				g.acc.Merge(a)
			}
		default:
			for key, a := range data[day] {
				get(key, func() *group { return &group{key: key} }).acc.Merge(a)
			}
		}
	}
	if dim == DimAll { // a period's disruptions count on its days without tickets too
		for _, d := range rangeDays {
			key, _ := periodKey(q.GroupBy, d)
			if g := groups[key]; g != nil {
				g.windows = append(g.windows, dayWindow(d))
			}
		}
	}
	if dim == DimHour {
		for _, g := range groups {
			h, _ := strconv.Atoi(g.key)
			for _, d := range rangeDays {
				s := time.Date(d.Year(), d.Month(), d.Day(), h, 0, 0, 0, loc)
				g.windows = append(g.windows, [2]time.Time{s, s.Add(time.Hour)})
			}
		}
	}
	// Names, order and which disruptions touch each row.
	switch dim {
	case DimService:
		for _, g := range groups {
			g.order, g.label, g.windows = 1<<30, g.key, whole
			for i, s := range env.Services {
				if s.ID == g.key {
					g.order, g.label = i, s.Name.Vi
				}
			}
			for _, c := range env.Counters {
				if slices.Contains(c.ServiceIDs, g.key) {
					g.counters = append(g.counters, c.ID)
				}
			}
		}
	case DimCounter:
		for _, g := range groups {
			g.order, g.label, g.windows, g.counters = 1<<30, g.key, whole, []string{g.key}
			for _, c := range env.Counters {
				if c.ID == g.key {
					g.order, g.label = c.Number, c.Name.Vi
				}
			}
		}
	case DimClerk:
		for _, g := range groups {
			g.windows, g.counters = whole, g.acc.Counters
			g.label = g.key
			if u, ok := env.Users[g.key]; ok {
				g.key, g.label = u.Username, u.Name
				if g.label == "" {
					g.label = u.Username
				}
			}
		}
	}
	list := make([]*group, 0, len(groups))
	for _, g := range groups {
		list = append(list, g)
	}
	sort.Slice(list, func(i, j int) bool {
		if list[i].order != list[j].order {
			return list[i].order < list[j].order
		}
		return list[i].key < list[j].key
	})
	rep := Report{From: q.From, To: q.To, GroupBy: q.GroupBy, Rows: make([]Row, 0, len(list))}
	for _, g := range list {
		r := g.acc.Row(g.key, g.label)
		r.DisruptionMinutes = disruptionMinutes(env.Disruptions, g.windows, g.counters, g.all)
		rep.Rows = append(rep.Rows, r)
	}
	rep.Total = total.Row("total", "Tổng cộng")
	rep.Total.DisruptionMinutes = disruptionMinutes(env.Disruptions, whole, nil, true)
	return rep, nil
}

// disruptionMinutes is the time, in minutes, inside windows during which a
// disruption touching the row was open, each moment counted once. A
// centre-wide disruption touches every row; one on counters touches rows
// of those counters (or every row when all).
func disruptionMinutes(ds []Disruption, windows [][2]time.Time, counters []string, all bool) float64 {
	var spans [][2]time.Time
	for _, d := range ds {
		touches := all || len(d.CounterIDs) == 0
		for _, c := range d.CounterIDs {
			if slices.Contains(counters, c) {
				touches = true
			}
		}
		if touches {
			spans = append(spans, [2]time.Time{d.Start, d.End})
		}
	}
	if len(spans) == 0 {
		return 0
	}
	sort.Slice(spans, func(i, j int) bool { return spans[i][0].Before(spans[j][0]) })
	// Union of the spans, then its overlap with the windows (disjoint).
	var union [][2]time.Time
	for _, s := range spans {
		if n := len(union); n > 0 && !s[0].After(union[n-1][1]) {
			if s[1].After(union[n-1][1]) {
				union[n-1][1] = s[1]
			}
			continue
		}
		union = append(union, s)
	}
	var d time.Duration
	for _, w := range windows {
		for _, u := range union {
			s, e := maxTime(w[0], u[0]), minTime(w[1], u[1])
			if e.After(s) {
				d += e.Sub(s)
			}
		}
	}
	return math.Round(d.Seconds()/60*100) / 100
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}
