package httpapi

import (
	"bytes"
	"context"
	"fmt"
	"html/template"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/civiq/civiq/server/internal/auth"
	"github.com/civiq/civiq/server/internal/queue"
	"github.com/civiq/civiq/server/internal/report"
	"github.com/civiq/civiq/server/protocol"
)

// chart renders one chart of the range as SVG.
func (s *Server) chart(ctx context.Context, name, from, to, lang string) ([]byte, error) {
	switch name {
	case report.ChartDaily:
		rep, _, err := s.buildReport(ctx, from, to, report.ByDay, "")
		if err != nil {
			return nil, err
		}
		return report.DailyChart(rep.Rows, lang), nil
	case report.ChartHeatmap:
		q, err := report.ParseQuery(from, to, "", "")
		if err != nil {
			return nil, errf(protocol.CodeBadRequest, "%v", err)
		}
		if s.reports == nil {
			return nil, errf(protocol.CodeUnavailable, "reports are not available in this build")
		}
		loc := s.engine.Location()
		hm, err := report.Arrivals(ctx, s.reports.ReportSource(loc, queue.Day(s.clock.Now(), loc)), q.From, q.To)
		if err != nil {
			return nil, err
		}
		return report.HeatmapChart(hm, lang), nil
	case report.ChartWaits, report.ChartOutcomes, report.ChartRatings:
		rep, _, err := s.buildReport(ctx, from, to, report.ByService, "")
		if err != nil {
			return nil, err
		}
		switch name {
		case report.ChartWaits:
			targets := map[string]int{}
			for _, sv := range s.engine.Services() {
				targets[sv.ID] = sv.TargetMinutes
			}
			return report.WaitsChart(rep.Rows, targets, lang), nil
		case report.ChartOutcomes:
			return report.OutcomesChart(rep.Rows, lang), nil
		}
		return report.RatingsChart(rep.Rows, rep.Total, lang), nil
	}
	return nil, errf(protocol.CodeNotFound, "unknown chart %q; charts: %v", name, report.Charts)
}

// getChart serves GET /api/v1/reports/charts/{name}.svg?from&to&lang.
func (s *Server) getChart(w http.ResponseWriter, r *http.Request, _ auth.Principal) error {
	name, ok := strings.CutSuffix(r.PathValue("name"), ".svg")
	if !ok || !slices.Contains(report.Charts, name) {
		return errf(protocol.CodeNotFound, "unknown chart %q; charts: %v (.svg)", r.PathValue("name"), report.Charts)
	}
	v := r.URL.Query()
	b, err := s.chart(r.Context(), name, v.Get("from"), v.Get("to"), v.Get("lang"))
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "image/svg+xml; charset=utf-8")
	w.Header().Set("Cache-Control", "private, max-age=60")
	// An SVG opened on its own must not run anything.
	w.Header().Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'")
	_, err = w.Write(b)
	return err
}

var summaryTmpl = template.Must(template.New("summary").Funcs(template.FuncMap{
	"secs": func(p *float64) string {
		if p == nil {
			return "–"
		}
		return strings.Replace(fmt.Sprintf("%.1f", *p/60), ".", ",", 1) // Vietnamese decimal comma
	},
	"pct": func(p *float64) string {
		if p == nil {
			return "–"
		}
		return fmt.Sprintf("%.0f%%", *p*100)
	},
	"num": func(v int) string { return groupDigits(v) },
	"mins": func(v float64) string {
		return fmt.Sprintf("%.0f", v)
	},
}).Parse(`<!doctype html>
<html lang="vi">
<head>
<meta charset="utf-8">
<title>Báo cáo tháng {{.Month}} – {{.Centre}}</title>
<link rel="stylesheet" href="/static/staff/summary.css">
<script type="module" src="/static/staff/summary.js"></script>
</head>
<body class="summary">
<div class="toolbar noprint">
  <button type="button" id="print" class="btn">In / Lưu PDF</button>
  <a class="btn btn-ghost" href="/admin#reports">← Báo cáo</a>
</div>
<article class="sheet">
<header>
  <p class="centre">{{.Centre}}</p>
  <h1>Báo cáo hoạt động tháng {{.Month}}</h1>
  <p class="range">Từ {{.FromVi}} đến {{.ToVi}} · lập lúc {{.Generated}}</p>
</header>
<section class="kpis">
  <div><b>{{num .Total.Issued}}</b><span>phiếu đã phát</span></div>
  <div><b>{{num .Total.Served}}</b><span>lượt đã phục vụ</span></div>
  <div><b>{{secs .Total.WaitMean}}</b><span>phút chờ trung bình</span></div>
  <div><b>{{secs .Total.WaitP90}}</b><span>phút chờ P90</span></div>
  <div><b>{{pct .Total.WithinTargetShare}}</b><span>đạt chỉ tiêu thời gian chờ</span></div>
  <div><b>{{num .Total.Outcomes.Received}}</b><span>hồ sơ tiếp nhận</span></div>
  <div><b>{{num .Total.Outcomes.Returned}}</b><span>kết quả đã trả</span></div>
  <div><b>{{mins .Total.DisruptionMinutes}}</b><span>phút sự cố</span></div>
</section>
<h2>Số phiếu và thời gian chờ theo ngày</h2>
<figure>{{.Daily}}</figure>
<h2>Lượt đến theo thứ và giờ</h2>
<figure>{{.Heatmap}}</figure>
<h2 class="pagebreak">Theo lĩnh vực</h2>
<table>
<thead><tr><th>Lĩnh vực</th><th>Phát</th><th>Phục vụ</th><th>Vắng</th><th>Chờ TB (phút)</th><th>Chờ P90 (phút)</th><th>Đạt chỉ tiêu</th><th>Tiếp nhận</th><th>Trả KQ</th><th>Bổ sung</th><th>Hồ sơ</th><th>Chưa hài lòng</th></tr></thead>
<tbody>
{{range .Fields}}<tr><td>{{.Label}}</td><td>{{num .Issued}}</td><td>{{num .Served}}</td><td>{{num .NoShow}}</td><td>{{secs .WaitMean}}</td><td>{{secs .WaitP90}}</td><td>{{pct .WithinTargetShare}}</td><td>{{num .Outcomes.Received}}</td><td>{{num .Outcomes.Returned}}</td><td>{{num .Outcomes.Supplement}}</td><td>{{num .Dossiers}}</td><td>{{num .Ratings.Unsatisfied}}</td></tr>
{{end}}<tr class="total"><td>Tổng cộng</td><td>{{num .Total.Issued}}</td><td>{{num .Total.Served}}</td><td>{{num .Total.NoShow}}</td><td>{{secs .Total.WaitMean}}</td><td>{{secs .Total.WaitP90}}</td><td>{{pct .Total.WithinTargetShare}}</td><td>{{num .Total.Outcomes.Received}}</td><td>{{num .Total.Outcomes.Returned}}</td><td>{{num .Total.Outcomes.Supplement}}</td><td>{{num .Total.Dossiers}}</td><td>{{num .Total.Ratings.Unsatisfied}}</td></tr>
</tbody>
</table>
<h2>Thời gian chờ so với chỉ tiêu</h2>
<figure>{{.Waits}}</figure>
<h2 class="pagebreak">Kết quả tiếp nhận, trả kết quả và hồ sơ</h2>
<figure>{{.Outcomes}}</figure>
<h2>Mức độ hài lòng</h2>
<figure>{{.Ratings}}</figure>
<footer>CiviQ · số liệu từ hệ thống xếp hàng; thời gian chờ tính từ lúc lấy số đến lần gọi đầu tiên.</footer>
</article>
</body>
</html>
`))

func groupDigits(v int) string {
	s := fmt.Sprint(v)
	if v < 0 {
		return s
	}
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte('.')
		}
		b.WriteRune(c)
	}
	return b.String()
}

// summary serves GET /admin/summary?month=YYYY-MM: the month's printable
// report (A4) with its charts inline, for a director to print or save as PDF.
func (s *Server) summary(w http.ResponseWriter, r *http.Request, _ auth.Principal) error {
	month := r.URL.Query().Get("month")
	loc := s.engine.Location()
	if month == "" {
		month = s.clock.Now().In(loc).Format("2006-01")
	}
	m, err := time.Parse("2006-01", month)
	if err != nil || m.Format("2006-01") != month {
		return errf(protocol.CodeBadRequest, "month must be YYYY-MM")
	}
	from, to := m.Format(time.DateOnly), m.AddDate(0, 1, -1).Format(time.DateOnly)
	ctx := r.Context()
	rep, _, err := s.buildReport(ctx, from, to, report.ByService, "")
	if err != nil {
		return err
	}
	charts := map[string]template.HTML{}
	for _, name := range report.Charts {
		b, err := s.chart(ctx, name, from, to, "vi")
		if err != nil {
			return err
		}
		// The SVG is built by this server from numbers and escaped labels.
		charts[name] = template.HTML(b) //nolint:gosec
	}
	data := struct {
		Centre, Month, FromVi, ToVi, Generated   string
		Total                                    report.Row
		Fields                                   []report.Row
		Daily, Heatmap, Waits, Outcomes, Ratings template.HTML
	}{
		Centre: s.engine.Centre().Name.Vi, Month: m.Format("01/2006"),
		FromVi: m.Format("02/01/2006"), ToVi: m.AddDate(0, 1, -1).Format("02/01/2006"),
		Generated: s.clock.Now().In(loc).Format("15:04 02/01/2006"),
		Total:     rep.Total, Fields: rep.Rows,
		Daily: charts[report.ChartDaily], Heatmap: charts[report.ChartHeatmap], Waits: charts[report.ChartWaits],
		Outcomes: charts[report.ChartOutcomes], Ratings: charts[report.ChartRatings],
	}
	var buf bytes.Buffer
	if err := summaryTmpl.Execute(&buf, data); err != nil {
		return err
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'")
	_, err = w.Write(buf.Bytes())
	return err
}
