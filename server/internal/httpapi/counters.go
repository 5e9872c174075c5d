package httpapi

import (
	"context"
	"errors"
	"net/http"

	"github.com/civiq/civiq/server/internal/auth"
	"github.com/civiq/civiq/server/internal/queue"
	"github.com/civiq/civiq/server/protocol"
)

func (s *Server) listCounters(w http.ResponseWriter, r *http.Request, _ auth.Principal) error {
	writeJSON(w, http.StatusOK, s.engine.Counters())
	return nil
}

func (s *Server) getCounter(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	cs, err := s.engine.Counter(r.PathValue("id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, cs)
	return nil
}

func (s *Server) putCounter(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	var c protocol.Counter
	if err := decode(w, r, &c); err != nil {
		return err
	}
	if c.ID == "" {
		c.ID = r.PathValue("id")
	}
	if c.ID != r.PathValue("id") {
		return errf(protocol.CodeBadRequest, "id in the body differs from the path")
	}
	var before any
	if cs, err := s.engine.Counter(c.ID); err == nil {
		before = cs.Counter
	}
	out, err := s.engine.PutCounter(r.Context(), c)
	if err != nil {
		return err
	}
	s.recordChange(r.Context(), p, "counter.put", out.ID, before, out, "")
	writeJSON(w, http.StatusOK, out)
	return nil
}

// counterFor checks that p may act for the path's counter.
func counterFor(r *http.Request, p auth.Principal) (string, error) {
	id := r.PathValue("id")
	if !p.Serves(id) {
		return "", errf(protocol.CodeForbidden, "you are not assigned to counter %q", id)
	}
	return id, nil
}

func (s *Server) counterStatus(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	id, err := counterFor(r, p)
	if err != nil {
		return err
	}
	var req protocol.CounterStatusRequest
	if err := decode(w, r, &req); err != nil {
		return err
	}
	c, err := s.engine.SetCounterStatus(r.Context(), id, req.Status)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, c)
	return nil
}

func (s *Server) counterWaiting(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	id, err := counterFor(r, p)
	if err != nil {
		return err
	}
	cs, err := s.engine.Counter(id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, s.engine.Waiting(cs.Counter.ServiceIDs))
	return nil
}

func (s *Server) allWaiting(w http.ResponseWriter, r *http.Request, _ auth.Principal) error {
	writeJSON(w, http.StatusOK, s.engine.Waiting(nil))
	return nil
}

// noBody refuses a body on actions that take none, so typos are not ignored.
func noBody(w http.ResponseWriter, r *http.Request) error {
	if r.ContentLength == 0 || r.Body == nil {
		return nil
	}
	var v map[string]any
	err := decode(w, r, &v)
	var qe *queue.Error
	if errors.As(err, &qe) && qe.Code == protocol.CodeBadJSON && r.ContentLength < 0 {
		return nil // chunked empty body
	}
	if err != nil {
		return err
	}
	if len(v) > 0 {
		return errf(protocol.CodeBadRequest, "this action takes no fields")
	}
	return nil
}

func (s *Server) next(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	id, err := counterFor(r, p)
	if err != nil {
		return err
	}
	if err := noBody(w, r); err != nil {
		return err
	}
	t, err := s.engine.Next(r.Context(), id, p.ID)
	if err != nil {
		return err
	}
	if t == nil {
		w.WriteHeader(http.StatusNoContent)
		return nil
	}
	s.m.called.WithLabelValues(t.ServiceID).Inc()
	writeJSON(w, http.StatusOK, protocol.CalledTicket{Ticket: *t, CitizenName: s.engine.CitizenName(id, t.ID)})
	return nil
}

func (s *Server) counterAction(w http.ResponseWriter, r *http.Request, p auth.Principal, fn func(context.Context, string) (protocol.Ticket, error)) error {
	id, err := counterFor(r, p)
	if err != nil {
		return err
	}
	if err := noBody(w, r); err != nil {
		return err
	}
	t, err := fn(r.Context(), id)
	if err != nil {
		return err
	}
	// The citizen's name shows only while the ticket is served here
	// (recall); after done or no-show it is not.
	writeJSON(w, http.StatusOK, protocol.CalledTicket{Ticket: t, CitizenName: s.engine.CitizenName(id, t.ID)})
	return nil
}

func (s *Server) recall(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	return s.counterAction(w, r, p, s.engine.Recall)
}

func (s *Server) noShow(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	return s.counterAction(w, r, p, s.engine.NoShow)
}

func (s *Server) transfer(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	id, err := counterFor(r, p)
	if err != nil {
		return err
	}
	var req protocol.TransferRequest
	if err := decode(w, r, &req); err != nil {
		return err
	}
	t, err := s.engine.Transfer(r.Context(), id, req.ServiceID)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, t)
	return nil
}
