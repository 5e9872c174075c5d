package report

import (
	"bytes"
	"encoding/xml"
	"io"
	"strings"
	"testing"
	"time"
)

func TestQuantiles(t *testing.T) {
	v := []int32{1000, 2000, 3000, 4000}
	if median(v) != 2500 || quantile(v, 0.9) != 4000 || quantile(v, 0.5) != 2000 {
		t.Errorf("median %v p90 %v p50 %v", median(v), quantile(v, 0.9), quantile(v, 0.5))
	}
	ten := []int32{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}
	if quantile(ten, 0.9) != 9 {
		t.Errorf("nearest-rank p90 of 1..10 = %v, want 9", quantile(ten, 0.9))
	}
	var a Acc
	r := a.Row("k", "l")
	if r.WaitMean != nil || r.ServiceP90 != nil || r.WithinTargetShare != nil {
		t.Errorf("empty set figures must be nil: %+v", r)
	}
}

func TestParseQuery(t *testing.T) {
	q, err := ParseQuery("2026-12-01", "2026-12-31", "", "")
	if err != nil || q.GroupBy != ByDay || q.Format != FormatJSON {
		t.Fatalf("%+v %v", q, err)
	}
	for _, c := range [][4]string{
		{"2026-12-01", "2026-11-30", "", ""}, {"2026-02-30", "2026-03-01", "", ""}, {"x", "2026-01-01", "", ""},
		{"2020-01-01", "2026-01-01", "", ""}, {"2026-01-01", "2026-01-02", "year", ""}, {"2026-01-01", "2026-01-02", "", "pdf"},
		{"1999-12-31", "2000-01-01", "", ""},
	} {
		if _, err := ParseQuery(c[0], c[1], c[2], c[3]); err == nil {
			t.Errorf("%v accepted", c)
		}
	}
}

func TestDisruptionMinutes(t *testing.T) {
	loc := time.FixedZone("ICT", 7*3600)
	at := func(h, m int) time.Time { return time.Date(2026, 12, 1, h, m, 0, 0, loc) }
	day := [][2]time.Time{{at(0, 0), at(0, 0).AddDate(0, 0, 1)}}
	ds := []Disruption{
		{Start: at(9, 0), End: at(9, 30), CounterIDs: []string{"q1"}},
		{Start: at(9, 20), End: at(9, 40)}, // overlaps: 9:00–9:40 for q1 counted once
		{Start: at(23, 50), End: at(0, 10).AddDate(0, 0, 1), CounterIDs: []string{"q2"}},
	}
	for _, c := range []struct {
		counters []string
		all      bool
		want     float64
	}{
		{[]string{"q1"}, false, 40}, {[]string{"q2"}, false, 20 + 10}, {nil, false, 20}, {nil, true, 40 + 10},
	} {
		if got := disruptionMinutes(ds, day, c.counters, c.all); got != c.want {
			t.Errorf("%v all=%v: %v minutes, want %v", c.counters, c.all, got, c.want)
		}
	}
	// The hour window 9:00–10:00 of that day.
	if got := disruptionMinutes(ds, [][2]time.Time{{at(9, 0), at(10, 0)}}, nil, true); got != 40 {
		t.Errorf("hour 9: %v", got)
	}
}

// Every chart is well-formed SVG, escapes names and says when it is empty.
func TestChartsWellFormed(t *testing.T) {
	w, p := 600.0, 1500.0
	share := 0.5
	rows := []Row{{Key: "2026-12-01", Label: `<script>alert(1)</script> & "Đất đai"`, Issued: 10, WaitMean: &w, WaitP90: &p, WithinTargetShare: &share,
		Ratings: Ratings{3, 2, 1}, Outcomes: Outcome{Received: 4, Returned: 1}, Dossiers: 5}}
	var hm Heatmap
	hm[0][8], hm[5][9] = 12, 30
	for name, b := range map[string][]byte{
		"daily": DailyChart(rows, "vi"), "heatmap": HeatmapChart(hm, "en"), "waits": WaitsChart(rows, map[string]int{"2026-12-01": 20}, "vi"),
		"outcomes": OutcomesChart(rows, "vi"), "ratings": RatingsChart(rows, rows[0], "vi"),
		"empty": DailyChart(nil, "vi"), "empty-heatmap": HeatmapChart(Heatmap{}, "vi"),
	} {
		d := xml.NewDecoder(bytes.NewReader(b))
		for {
			_, err := d.Token()
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatalf("%s: not well-formed: %v\n%s", name, err, b)
			}
		}
		if strings.Contains(string(b), "<script>") {
			t.Errorf("%s: a label was not escaped", name)
		}
		if strings.HasPrefix(name, "empty") && !strings.Contains(string(b), "Chưa có số liệu") {
			t.Errorf("%s: no empty notice", name)
		}
	}
}
