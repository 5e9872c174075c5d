package httpapi

import (
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/civiq/civiq/server/internal/auth"
	"github.com/civiq/civiq/server/internal/queue"
	"github.com/civiq/civiq/server/internal/report"
	"github.com/civiq/civiq/server/protocol"
)

// Visit records and disruptions (docs/API.md, "Visit records, disruptions,
// supervisor"; shared/DATA-OUT.md).

// done answers POST /api/v1/counters/{id}/done: an optional visit record
// (outcome, dossier codes, note); an empty body or {} is a plain done.
func (s *Server) done(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	id, err := counterFor(r, p)
	if err != nil {
		return err
	}
	var req protocol.DoneRequest
	if r.Body != nil && r.ContentLength != 0 {
		err := decode(w, r, &req)
		var qe *queue.Error
		if errors.As(err, &qe) && qe.Code == protocol.CodeBadJSON && r.ContentLength < 0 && qe.Message == emptyBodyMessage {
			err = nil // chunked empty body
		}
		if err != nil {
			return err
		}
	}
	t, err := s.engine.DoneWith(r.Context(), id, p.ID, req)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, t)
	return nil
}

// counterVisits answers GET /api/v1/counters/{id}/visits?limit=N: the
// tickets finished there today, newest first, with their visit records.
func (s *Server) counterVisits(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	id, err := counterFor(r, p)
	if err != nil {
		return err
	}
	limit := 20
	if v := r.URL.Query().Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 200 {
			return errf(protocol.CodeBadRequest, "limit must be between 1 and 200")
		}
		limit = n
	}
	out, err := s.engine.CounterHistory(r.Context(), id, limit)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

const emptyBodyMessage = "the body is empty; a JSON object is required"

// disruptionRule is who may start or end a disruption on counter ids: an
// admin any (and the whole centre), a clerk only counters assigned to them.
func disruptionRule(p auth.Principal) queue.DisruptionAllowed {
	return func(ids []string) error {
		if p.Role == protocol.RoleAdmin {
			return nil
		}
		if len(ids) == 0 {
			return errf(protocol.CodeForbidden, "only an administrator reports a disruption of the whole centre; name your counter in counter_ids")
		}
		for _, id := range ids {
			if !p.Serves(id) {
				return errf(protocol.CodeForbidden, "you are not assigned to counter %q", id)
			}
		}
		return nil
	}
}

func (s *Server) startDisruption(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	var req protocol.DisruptionRequest
	if err := decode(w, r, &req); err != nil {
		return err
	}
	d, err := s.engine.StartDisruption(r.Context(), p.Name, req, disruptionRule(p))
	if err != nil {
		return err
	}
	s.record(r.Context(), p, "disruption.start", "id=%s cause=%s counters=%v note=%q", d.ID, d.Cause, d.CounterIDs, d.Note)
	w.Header().Set("Location", "/api/v1/disruptions/"+d.ID)
	writeJSON(w, http.StatusCreated, d)
	return nil
}

func (s *Server) endDisruption(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	if err := noBody(w, r); err != nil {
		return err
	}
	d, err := s.engine.EndDisruption(r.Context(), r.PathValue("id"), p.Name, disruptionRule(p))
	if err != nil {
		return err
	}
	s.record(r.Context(), p, "disruption.end", "id=%s cause=%s counters=%v", d.ID, d.Cause, d.CounterIDs)
	writeJSON(w, http.StatusOK, d)
	return nil
}

// listDisruptions answers GET /api/v1/disruptions?from=&to=: every
// disruption overlapping the range. from and to are service days
// (YYYY-MM-DD, to inclusive) or RFC 3339 instants; defaults: the last 30
// days up to now (open ones always overlap).
func (s *Server) listDisruptions(w http.ResponseWriter, r *http.Request, _ auth.Principal) error {
	loc := s.engine.Location()
	now := s.clock.Now().In(loc)
	from, to, err := queryRange(r.URL.Query(), loc, now)
	if err != nil {
		return err
	}
	if !to.After(from) {
		return errf(protocol.CodeBadRequest, "to must be after from")
	}
	out, err := s.engine.Disruptions(r.Context(), from, to)
	if err != nil {
		return err
	}
	if s.reports == nil || len(out) == 0 {
		writeJSON(w, http.StatusOK, out)
		return nil
	}
	// DATA-OUT.md extension: each one's minutes in the range and the
	// citizens waiting while it was open.
	start, end := report.WaitingSpan(out, now)
	waits, err := s.reports.Waitings(r.Context(), queue.Day(start, loc), queue.Day(end, loc), start, end)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, report.Impacts(out, s.engine.Counters(), waits, from, to, now))
	return nil
}

// queryRange reads the from and to of a list query: service days
// (YYYY-MM-DD in the centre's zone, to inclusive) or RFC 3339 instants;
// defaults: the last 30 days up to now.
func queryRange(q url.Values, loc *time.Location, now time.Time) (from, to time.Time, err error) {
	from = time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, loc).AddDate(0, 0, -30)
	to = now.Add(time.Second)
	parse := func(key string, endOfDay bool) (time.Time, error) {
		v := q.Get(key)
		if d, err := time.ParseInLocation(time.DateOnly, v, loc); err == nil {
			if endOfDay {
				d = d.AddDate(0, 0, 1)
			}
			return d, nil
		}
		if t, err := time.Parse(time.RFC3339Nano, v); err == nil {
			return t, nil
		}
		return time.Time{}, errf(protocol.CodeBadRequest, "%s must be a date YYYY-MM-DD or an RFC 3339 time", key)
	}
	if q.Get("from") != "" {
		if from, err = parse("from", false); err != nil {
			return
		}
	}
	if q.Get("to") != "" {
		if to, err = parse("to", true); err != nil {
			return
		}
	}
	return from, to, nil
}

// readers may read what the dashboard shows, but change nothing.
var readers = []string{protocol.RoleAdmin, protocol.RoleSupervisor}
