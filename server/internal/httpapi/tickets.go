package httpapi

import (
	"net/http"
	"regexp"

	"github.com/civiq/civiq/server/internal/auth"
	"github.com/civiq/civiq/server/protocol"
)

func (s *Server) issue(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	var req protocol.IssueRequest
	if err := decode(w, r, &req); err != nil {
		return err
	}
	res, err := s.engine.Issue(r.Context(), p.Kind+":"+p.ID, req, r.Header.Get("Idempotency-Key"))
	if err != nil {
		return err
	}
	if !res.Replayed {
		s.m.issued.WithLabelValues(res.Ticket.ServiceID).Inc()
	}
	t := res.Ticket
	t.Token = res.Token
	t.TrackURL = s.trackURL(r, res.Token)
	w.Header().Set("Location", "/api/v1/tickets/"+res.Token)
	writeJSON(w, http.StatusCreated, t)
	return nil
}

var tokenPattern = regexp.MustCompile(`^[A-Za-z0-9_-]{16,64}$`)

func (s *Server) getTicket(w http.ResponseWriter, r *http.Request, _ auth.Principal) error {
	tok := r.PathValue("token")
	if !tokenPattern.MatchString(tok) {
		return errf(protocol.CodeNotFound, "unknown ticket")
	}
	t, status, err := s.ticketOrPending(r, tok)
	if err != nil {
		return err
	}
	t.Token = tok
	t.TrackURL = s.trackURL(r, tok)
	writeJSON(w, status, t)
	return nil
}
