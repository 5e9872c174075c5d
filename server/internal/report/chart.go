package report

import (
	"context"
	"fmt"
	"html"
	"math"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Charts are drawn by the server as SVG (no script, no library): a
// supervisor's browser, a printed page and a saved PDF all show the same
// picture. Every chart is a pure function of report rows.

// Chart names (GET /api/v1/reports/charts/{name}.svg).
const (
	ChartDaily    = "daily"
	ChartHeatmap  = "heatmap"
	ChartWaits    = "waits"
	ChartOutcomes = "outcomes"
	ChartRatings  = "ratings"
)

// Charts lists the chart names.
var Charts = []string{ChartDaily, ChartHeatmap, ChartWaits, ChartOutcomes, ChartRatings}

// Palette: colour-blind safe (Okabe–Ito), readable in grey print.
const (
	cBlue   = "#0072B2"
	cLight  = "#9cc9e8"
	cOrange = "#E69F00"
	cRed    = "#D55E00"
	cGreen  = "#009E73"
	cSky    = "#56B4E9"
	cPurple = "#CC79A7"
	cYellow = "#F0E442"
	cGrey   = "#888888"
	cInk    = "#1d2733"
	cGrid   = "#e3e7ec"
)

var words = map[string][2]string{
	"tickets":    {"Số phiếu", "Tickets"},
	"wait_mean":  {"Chờ trung bình (phút)", "Mean wait (min)"},
	"wait_p90":   {"Chờ P90 (phút)", "90th percentile wait (min)"},
	"target":     {"Chỉ tiêu", "Target"},
	"minutes":    {"phút", "min"},
	"none":       {"Chưa có số liệu trong khoảng này", "No data in this range"},
	"dossiers":   {"hồ sơ", "dossiers"},
	"total":      {"Toàn trung tâm", "Whole centre"},
	"received":   {"Tiếp nhận", "Received"},
	"returned":   {"Trả kết quả", "Returned"},
	"guided":     {"Hướng dẫn", "Guided"},
	"supplement": {"Yêu cầu bổ sung", "Supplement"},
	"refused":    {"Từ chối", "Refused"},
	"other":      {"Khác", "Other"},
	"very":       {"Rất hài lòng", "Very satisfied"},
	"sat":        {"Hài lòng", "Satisfied"},
	"unsat":      {"Chưa hài lòng", "Unsatisfied"},
	"arrivals":   {"Lượt đến theo thứ và giờ", "Arrivals by weekday and hour"},
}

func word(k, lang string) string {
	if lang == "en" {
		return words[k][1]
	}
	return words[k][0]
}

var weekdayShort = [2][7]string{{"T2", "T3", "T4", "T5", "T6", "T7", "CN"}, {"Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"}}

type svg struct {
	b    strings.Builder
	w, h int
}

func newSVG(w, h int, title string) *svg {
	s := &svg{w: w, h: h}
	fmt.Fprintf(&s.b, `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %d %d" width="%d" height="%d" font-family="'Be Vietnam Pro','Noto Sans','DejaVu Sans',Arial,sans-serif" font-size="14" fill="%s" role="img">`, w, h, w, h, cInk)
	fmt.Fprintf(&s.b, `<title>%s</title><rect width="100%%" height="100%%" fill="#fff"/>`, esc(title))
	return s
}

func esc(s string) string { return html.EscapeString(s) }

func (s *svg) text(x, y float64, anchor, txt string, extra string) {
	fmt.Fprintf(&s.b, `<text x="%.1f" y="%.1f" text-anchor="%s" %s>%s</text>`, x, y, anchor, extra, esc(txt))
}

func (s *svg) rect(x, y, w, h float64, fill string, title string) {
	if w <= 0 || h <= 0 {
		return
	}
	if title != "" {
		fmt.Fprintf(&s.b, `<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="%s"><title>%s</title></rect>`, x, y, w, h, fill, esc(title))
		return
	}
	fmt.Fprintf(&s.b, `<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="%s"/>`, x, y, w, h, fill)
}

func (s *svg) line(x1, y1, x2, y2 float64, stroke string, width float64, dash string) {
	d := ""
	if dash != "" {
		d = ` stroke-dasharray="` + dash + `"`
	}
	fmt.Fprintf(&s.b, `<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="%s" stroke-width="%.1f"%s/>`, x1, y1, x2, y2, stroke, width, d)
}

func (s *svg) bytes() []byte {
	s.b.WriteString(`</svg>`)
	return []byte(s.b.String())
}

// legend draws coloured keys left to right from x at y.
func (s *svg) legend(x, y float64, items [][2]string) {
	for _, it := range items {
		s.rect(x, y-11, 14, 14, it[1], "")
		s.text(x+20, y, "start", it[0], "")
		x += 20 + float64(utf8.RuneCountInString(it[0]))*8 + 24
	}
}

func (s *svg) empty(lang string) []byte {
	s.text(float64(s.w)/2, float64(s.h)/2, "middle", word("none", lang), `fill="`+cGrey+`" font-size="18"`)
	return s.bytes()
}

// niceMax rounds up to 1, 2 or 5 × 10^k, for axis ticks.
func niceMax(v float64) float64 {
	if v <= 0 {
		return 1
	}
	p := math.Pow(10, math.Floor(math.Log10(v)))
	for _, m := range []float64{1, 2, 5, 10} {
		if m*p >= v {
			return m * p
		}
	}
	return 10 * p
}

func fmtNum(v float64) string {
	if v == math.Trunc(v) {
		return strconv.FormatFloat(v, 'f', 0, 64)
	}
	return strconv.FormatFloat(v, 'f', 1, 64)
}

func minutesOf(p *float64) float64 {
	if p == nil {
		return math.NaN()
	}
	return *p / 60
}

// truncate shortens a label to n characters with an ellipsis.
func truncate(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n-1]) + "…"
}

// DailyChart draws tickets per day (bars) with the mean and 90th
// percentile waits (lines, right axis, minutes). rows are a day report.
func DailyChart(rows []Row, lang string) []byte {
	const W, H, left, right, top, bottom = 960, 340, 56, 64, 44, 46
	s := newSVG(W, H, word("tickets", lang)+" · "+word("wait_mean", lang))
	if len(rows) == 0 {
		return s.empty(lang)
	}
	pw, ph := float64(W-left-right), float64(H-top-bottom)
	maxN, maxW := 0.0, 0.0
	for _, r := range rows {
		maxN = math.Max(maxN, float64(r.Issued))
		if m := minutesOf(r.WaitP90); !math.IsNaN(m) {
			maxW = math.Max(maxW, m)
		}
	}
	maxN, maxW = niceMax(maxN), niceMax(maxW)
	// grid and axes
	for i := 0; i <= 4; i++ {
		y := top + ph - ph*float64(i)/4
		s.line(left, y, left+pw, y, cGrid, 1, "")
		s.text(left-8, y+5, "end", fmtNum(maxN*float64(i)/4), `font-size="13"`)
		s.text(left+pw+8, y+5, "start", fmtNum(maxW*float64(i)/4), `font-size="13" fill="`+cRed+`"`)
	}
	slot := pw / float64(len(rows))
	bw := math.Max(slot*0.7, 1)
	step := int(math.Ceil(float64(len(rows)) / 16))
	var mean, p90 []string
	for i, r := range rows {
		x := left + slot*float64(i) + (slot-bw)/2
		h := ph * float64(r.Issued) / maxN
		s.rect(x, top+ph-h, bw, h, cLight, fmt.Sprintf("%s: %d", r.Label, r.Issued))
		cx := left + slot*float64(i) + slot/2
		if m := minutesOf(r.WaitMean); !math.IsNaN(m) {
			mean = append(mean, fmt.Sprintf("%.1f,%.1f", cx, top+ph-ph*m/maxW))
		}
		if m := minutesOf(r.WaitP90); !math.IsNaN(m) {
			p90 = append(p90, fmt.Sprintf("%.1f,%.1f", cx, top+ph-ph*m/maxW))
		}
		if i%step == 0 {
			lbl := r.Key
			if t, err := time.Parse(time.DateOnly, r.Key); err == nil {
				lbl = t.Format("02/01")
			}
			s.text(cx, top+ph+20, "middle", lbl, `font-size="13"`)
		}
	}
	for _, l := range []struct {
		pts   []string
		color string
		dash  string
	}{{mean, cOrange, ""}, {p90, cRed, "6 4"}} {
		if len(l.pts) > 0 {
			d := ""
			if l.dash != "" {
				d = ` stroke-dasharray="` + l.dash + `"`
			}
			fmt.Fprintf(&s.b, `<polyline points="%s" fill="none" stroke="%s" stroke-width="3"%s/>`, strings.Join(l.pts, " "), l.color, d)
			for _, p := range l.pts {
				xy := strings.Split(p, ",")
				fmt.Fprintf(&s.b, `<circle cx="%s" cy="%s" r="3.5" fill="%s"/>`, xy[0], xy[1], l.color)
			}
		}
	}
	s.line(left, top+ph, left+pw, top+ph, cInk, 1, "")
	s.legend(left, 24, [][2]string{{word("tickets", lang), cLight}, {word("wait_mean", lang), cOrange}, {word("wait_p90", lang), cRed}})
	return s.bytes()
}

// Heatmap counts arrivals by weekday (0 = Monday) and hour of issue.
type Heatmap [7][24]int

// Arrivals reads the weekday × hour arrival counts of a range.
func Arrivals(ctx context.Context, src Source, from, to string) (Heatmap, error) {
	var hm Heatmap
	data, err := src.ReportDays(ctx, from, to, DimHour)
	if err != nil {
		return hm, err
	}
	for day, byHour := range data {
		d, err := time.Parse(time.DateOnly, day)
		if err != nil {
			continue
		}
		wd := weekdayIndex(d)
		for key, a := range byHour {
			if h, err := strconv.Atoi(key); err == nil && h >= 0 && h < 24 {
				hm[wd][h] += a.Issued
			}
		}
	}
	return hm, nil
}

// HeatmapChart draws arrivals by weekday × hour: darker is busier.
func HeatmapChart(hm Heatmap, lang string) []byte {
	first, last, maxV := 24, -1, 0
	for _, row := range hm {
		for h, v := range row {
			if v > 0 {
				first, last = min(first, h), max(last, h)
				maxV = max(maxV, v)
			}
		}
	}
	if last < 0 {
		return newSVG(960, 300, word("arrivals", lang)).empty(lang)
	}
	first, last = min(first, 7), max(last, 17)
	cols := last - first + 1
	const left, top, cell, ch = 56, 36, 0, 34
	cw := math.Min(72, (960-left-16)/float64(cols))
	W := int(left + cw*float64(cols) + 16)
	H := top + 7*ch + 40
	s := newSVG(W, H, word("arrivals", lang))
	li := 0
	if lang == "en" {
		li = 1
	}
	for h := first; h <= last; h++ {
		s.text(left+cw*float64(h-first)+cw/2, top-12, "middle", fmt.Sprintf("%dh", h), `font-size="13"`)
	}
	for wd := range 7 {
		y := float64(top + wd*ch)
		s.text(left-10, y+ch/2+5, "end", weekdayShort[li][wd], "")
		for h := first; h <= last; h++ {
			v := hm[wd][h]
			x := left + cw*float64(h-first)
			shade := 0.0
			if maxV > 0 {
				shade = float64(v) / float64(maxV)
			}
			fill := heatColour(shade)
			s.rect(x+1, y+1, cw-2, ch-2, fill, fmt.Sprintf("%s %dh: %d", weekdayShort[li][wd], h, v))
			if v > 0 {
				col := cInk
				if shade > 0.55 {
					col = "#fff"
				}
				s.text(x+cw/2, y+ch/2+5, "middle", strconv.Itoa(v), `font-size="13" fill="`+col+`"`)
			}
		}
	}
	_ = cell
	return s.bytes()
}

// heatColour blends white to dark blue.
func heatColour(f float64) string {
	if f <= 0 {
		return "#f4f6f8"
	}
	from := [3]float64{0xe8, 0xf1, 0xfa}
	to := [3]float64{0x08, 0x30, 0x6b}
	c := [3]int{}
	for i := range c {
		c[i] = int(from[i] + (to[i]-from[i])*math.Sqrt(f))
	}
	return fmt.Sprintf("#%02x%02x%02x", c[0], c[1], c[2])
}

// barRows is the height of a horizontal bar chart for n rows.
func barRows(n int) (int, float64) {
	const rowH = 30.0
	return 70 + int(rowH*float64(n)), rowH
}

// WaitsChart draws each field's mean and 90th percentile wait against its
// target (minutes). rows are a service report; targets by field id.
func WaitsChart(rows []Row, targets map[string]int, lang string) []byte {
	H, rowH := barRows(len(rows))
	const W, left, right, top = 960, 330, 40, 48
	s := newSVG(W, H, word("wait_mean", lang))
	if len(rows) == 0 {
		return s.empty(lang)
	}
	pw := float64(W - left - right)
	maxV := 0.0
	for _, r := range rows {
		if m := minutesOf(r.WaitP90); !math.IsNaN(m) {
			maxV = math.Max(maxV, m)
		}
		maxV = math.Max(maxV, float64(targets[r.Key]))
	}
	maxV = niceMax(maxV)
	for i := 0; i <= 5; i++ {
		x := left + pw*float64(i)/5
		s.line(x, top-4, x, float64(H-20), cGrid, 1, "")
		s.text(x, float64(H-4), "middle", fmtNum(maxV*float64(i)/5)+" "+word("minutes", lang), `font-size="12"`)
	}
	for i, r := range rows {
		y := top + rowH*float64(i)
		s.text(left-10, y+rowH/2+5, "end", truncate(r.Label, 40), "")
		if m := minutesOf(r.WaitP90); !math.IsNaN(m) {
			s.rect(left, y+5, pw*m/maxV, rowH-10, cSky, fmt.Sprintf("%s P90 %.1f", r.Label, m))
		}
		if m := minutesOf(r.WaitMean); !math.IsNaN(m) {
			s.rect(left, y+10, pw*m/maxV, rowH-20, cBlue, fmt.Sprintf("%s %.1f", r.Label, m))
		}
		if tg := targets[r.Key]; tg > 0 {
			x := left + pw*float64(tg)/maxV
			s.line(x, y+2, x, y+rowH-2, cRed, 3, "")
		}
	}
	s.legend(left, 26, [][2]string{{word("wait_mean", lang), cBlue}, {word("wait_p90", lang), cSky}, {word("target", lang), cRed}})
	return s.bytes()
}

// OutcomesChart draws each field's visit outcomes as stacked bars, with the
// dossier codes recorded at the end of the bar.
func OutcomesChart(rows []Row, lang string) []byte {
	H, rowH := barRows(len(rows))
	const W, left, right, top = 960, 330, 110, 48
	s := newSVG(W, H, word("received", lang))
	if len(rows) == 0 {
		return s.empty(lang)
	}
	colours := []string{cBlue, cGreen, cSky, cOrange, cRed, cGrey}
	keys := []string{"received", "returned", "guided", "supplement", "refused", "other"}
	maxV := 0
	for _, r := range rows {
		o := r.Outcomes
		maxV = max(maxV, o.Received+o.Returned+o.Guided+o.Supplement+o.Refused+o.Other)
	}
	if maxV == 0 {
		return s.empty(lang)
	}
	scale := niceMax(float64(maxV))
	pw := float64(W - left - right)
	for i, r := range rows {
		y := top + rowH*float64(i)
		s.text(left-10, y+rowH/2+5, "end", truncate(r.Label, 40), "")
		o := r.Outcomes
		vals := []int{o.Received, o.Returned, o.Guided, o.Supplement, o.Refused, o.Other}
		x := float64(left)
		for j, v := range vals {
			w := pw * float64(v) / scale
			s.rect(x, y+5, w, rowH-10, colours[j], fmt.Sprintf("%s: %d", word(keys[j], lang), v))
			x += w
		}
		s.text(x+8, y+rowH/2+5, "start", fmt.Sprintf("%d %s", r.Dossiers, word("dossiers", lang)), `font-size="13"`)
	}
	items := make([][2]string, len(keys))
	for j, k := range keys {
		items[j] = [2]string{word(k, lang), colours[j]}
	}
	s.legend(left-200, 26, items)
	return s.bytes()
}

// RatingsChart draws the share of each score, the whole centre first and
// then each field with ratings.
func RatingsChart(rows []Row, total Row, lang string) []byte {
	all := []Row{total}
	all[0].Label = word("total", lang)
	for _, r := range rows {
		if r.Ratings.VerySatisfied+r.Ratings.Satisfied+r.Ratings.Unsatisfied > 0 {
			all = append(all, r)
		}
	}
	H, rowH := barRows(len(all))
	const W, left, right, top = 960, 330, 90, 48
	s := newSVG(W, H, word("very", lang))
	if total.Ratings.VerySatisfied+total.Ratings.Satisfied+total.Ratings.Unsatisfied == 0 {
		return s.empty(lang)
	}
	pw := float64(W - left - right)
	colours := []string{cGreen, cSky, cOrange}
	for i, r := range all {
		y := top + rowH*float64(i)
		weight := ""
		if i == 0 {
			weight = `font-weight="700"`
		}
		s.text(left-10, y+rowH/2+5, "end", truncate(r.Label, 40), weight)
		vals := []int{r.Ratings.VerySatisfied, r.Ratings.Satisfied, r.Ratings.Unsatisfied}
		n := vals[0] + vals[1] + vals[2]
		x := float64(left)
		for j, v := range vals {
			w := pw * float64(v) / float64(n)
			s.rect(x, y+5, w, rowH-10, colours[j], fmt.Sprintf("%d", v))
			if w > 44 {
				s.text(x+w/2, y+rowH/2+5, "middle", fmt.Sprintf("%.0f%%", 100*float64(v)/float64(n)), `font-size="13" fill="#fff" font-weight="700"`)
			}
			x += w
		}
		s.text(x+8, y+rowH/2+5, "start", fmt.Sprintf("n = %d", n), `font-size="13"`)
	}
	s.legend(left, 26, [][2]string{{word("very", lang), colours[0]}, {word("sat", lang), colours[1]}, {word("unsat", lang), colours[2]}})
	return s.bytes()
}
