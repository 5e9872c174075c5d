package httpapi

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/civiq/civiq/server/internal/auth"
	"github.com/civiq/civiq/server/internal/queue"
	"github.com/civiq/civiq/server/internal/report"
	"github.com/civiq/civiq/server/protocol"
)

// Reports is the storage behind GET /api/v1/reports.
type Reports interface {
	ReportSource(loc *time.Location, today string) report.Source
	UserNames(ctx context.Context) (map[string]report.User, error)
	// Waitings lists the tickets of the days fromDay..toDay issued before
	// end and still waiting after start (citizens waiting in disruptions).
	Waitings(ctx context.Context, fromDay, toDay string, start, end time.Time) ([]report.Waiting, error)
}

// DisruptionLister lists the disruptions overlapping [from, to) for the
// reports' disruption minutes; nil when the build has none.
type DisruptionLister func(ctx context.Context, from, to time.Time) ([]report.Disruption, error)

// SetReports enables the reports API and pages. Call it once, before serving.
func (s *Server) SetReports(r Reports, disruptions DisruptionLister) {
	s.reports, s.disruptions = r, disruptions
}

// buildReport validates the query and computes the report.
func (s *Server) buildReport(ctx context.Context, from, to, groupBy, format string) (report.Report, report.Query, error) {
	q, err := report.ParseQuery(from, to, groupBy, format)
	if err != nil {
		return report.Report{}, q, errf(protocol.CodeBadRequest, "%v", err)
	}
	if s.reports == nil {
		return report.Report{}, q, errf(protocol.CodeUnavailable, "reports are not available in this build")
	}
	loc := s.engine.Location()
	users, err := s.reports.UserNames(ctx)
	if err != nil {
		return report.Report{}, q, err
	}
	env := report.Env{Location: loc, Services: s.engine.Services(), Counters: s.engine.Counters(), Users: users}
	if s.disruptions != nil {
		f, _ := time.ParseInLocation(time.DateOnly, q.From, loc)
		t, _ := time.ParseInLocation(time.DateOnly, q.To, loc)
		if env.Disruptions, err = s.disruptions(ctx, f, t.AddDate(0, 0, 1)); err != nil {
			return report.Report{}, q, err
		}
	}
	today := queue.Day(s.clock.Now(), loc)
	rep, err := report.Build(ctx, s.reports.ReportSource(loc, today), q, env)
	return rep, q, err
}

// getReport serves GET /api/v1/reports?from&to&group_by&format.
func (s *Server) getReport(w http.ResponseWriter, r *http.Request, _ auth.Principal) error {
	v := r.URL.Query()
	rep, q, err := s.buildReport(r.Context(), v.Get("from"), v.Get("to"), v.Get("group_by"), v.Get("format"))
	if err != nil {
		return err
	}
	return writeReport(w, rep, q.Format, fmt.Sprintf("civiq-report-%s-%s-%s", q.From, q.To, q.GroupBy))
}

// writeReport writes rep in format (CSV or XLSX as an attachment named
// name plus its extension, JSON otherwise).
func writeReport(w http.ResponseWriter, rep report.Report, format, name string) error {
	var buf bytes.Buffer
	switch format {
	case report.FormatCSV:
		if err := rep.WriteCSV(&buf); err != nil {
			return err
		}
		w.Header().Set("Content-Type", "text/csv; charset=utf-8")
		w.Header().Set("Content-Disposition", `attachment; filename="`+name+`.csv"`)
	case report.FormatXLSX:
		if err := rep.WriteXLSX(&buf); err != nil {
			return err
		}
		w.Header().Set("Content-Type", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
		w.Header().Set("Content-Disposition", `attachment; filename="`+name+`.xlsx"`)
	default:
		writeJSON(w, http.StatusOK, rep)
		return nil
	}
	w.Header().Set("Cache-Control", "no-store")
	_, err := w.Write(buf.Bytes())
	return err
}
