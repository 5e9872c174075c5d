package httpapi

import (
	"errors"
	"net/http"
	"strconv"

	"github.com/gorilla/websocket"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/civiq/civiq/server/internal/auth"
	"github.com/civiq/civiq/server/internal/hub"
	"github.com/civiq/civiq/server/internal/queue"
	"github.com/civiq/civiq/server/protocol"
)

// Phone page, ratings and the counter-side rating tablet (docs/API.md,
// "Phone page, ratings and the rating tablet").

// SetTicketHub sets the hub of the ticket-scoped websocket (/ws/ticket/{token})
// and exports its connection count as civiq_phone_clients. Call it once.
func (s *Server) SetTicketHub(t *hub.TicketHub) {
	s.phones = t
	s.reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "civiq_phone_clients", Help: "Phone pages following a ticket live."},
		func() float64 { return float64(t.Clients()) }))
}

// ticketOrPending finds the ticket holding tok: a stored ticket (200), or
// the ticket of a leased number a kiosk printed offline and has not synced
// yet (202, status pending_sync).
func (s *Server) ticketOrPending(r *http.Request, tok string) (protocol.Ticket, int, error) {
	t, err := s.engine.TicketByToken(r.Context(), tok)
	if err == nil || !queue.IsNotFound(err) {
		return t, http.StatusOK, err
	}
	p, perr := s.engine.PendingByToken(r.Context(), tok)
	if perr != nil {
		if !queue.IsNotFound(perr) {
			return t, 0, perr
		}
		return t, 0, err
	}
	return p, http.StatusAccepted, nil
}

// ticketView builds the phone's view of the ticket holding tok, with the
// status to answer it with (202 for a ticket pending sync).
func (s *Server) ticketView(r *http.Request, tok string) (protocol.TicketView, int, error) {
	t, status, err := s.ticketOrPending(r, tok)
	if err != nil {
		return protocol.TicketView{}, 0, err
	}
	v := protocol.TicketView{Ticket: t, Reason: protocol.ViewSnapshot, Service: s.engine.ServiceName(t.ServiceID)}
	if t.Status == protocol.StatusPendingSync {
		v.Reason = protocol.ViewPendingSync
		return v, status, nil
	}
	v.Waiting, v.OpenCounters = s.engine.FieldCounts(t.ServiceID)
	v.Disruptions = s.engine.DisruptionsOfField(t.ServiceID)
	if t.Status == protocol.StatusCalled && t.CounterID != "" {
		if cs, err := s.engine.Counter(t.CounterID); err == nil {
			v.Counter = &cs.Counter
		}
	}
	if t.Status == protocol.StatusDone {
		rated, err := s.engine.IsRated(r.Context(), t.ID)
		if err != nil {
			return v, 0, err
		}
		v.Rated = rated
		v.CanRate = !rated && t.FinishedAt != nil && s.clock.Now().Sub(*t.FinishedAt) <= queue.PhoneRatingWindow
	}
	return v, status, nil
}

// phonePublic rate-limits an anonymous phone request by IP.
func (s *Server) phonePublic(r *http.Request) error {
	if ok, wait := s.publicLim.take(clientIP(r, s.opts.TrustProxy)); !ok {
		return tooMany(wait, "too many requests; slow down")
	}
	return nil
}

// getTicketView answers GET /api/v1/tickets/{token}/view.
func (s *Server) getTicketView(w http.ResponseWriter, r *http.Request, _ auth.Principal) error {
	tok := r.PathValue("token")
	if !tokenPattern.MatchString(tok) {
		return errf(protocol.CodeNotFound, "unknown ticket")
	}
	v, status, err := s.ticketView(r, tok)
	if err != nil {
		return err
	}
	writeJSON(w, status, v)
	return nil
}

// ticketWS serves GET /ws/ticket/{token}: the websocket of one ticket.
func (s *Server) ticketWS(w http.ResponseWriter, r *http.Request) {
	tok := r.PathValue("token")
	err := s.phonePublic(r)
	if err == nil && !tokenPattern.MatchString(tok) {
		err = errf(protocol.CodeNotFound, "unknown ticket")
	}
	if err == nil && s.phones == nil {
		err = errf(protocol.CodeUnavailable, "live updates are not available")
	}
	var id string
	if err == nil {
		// Refuse unknown tokens before upgrading, with a JSON 404. A
		// leased ticket not yet synced is followed under the id it will
		// have: its sync is the ticket.issued event of that id.
		var t protocol.Ticket
		t, _, err = s.ticketOrPending(r, tok)
		id = t.ID
	}
	if err == nil && !websocket.IsWebSocketUpgrade(r) {
		err = errf(protocol.CodeBadRequest, "this endpoint speaks websocket only")
	}
	if err != nil {
		if status := writeError(w, s.storageError(err)); status >= 500 {
			s.log.Error("ticket websocket refused", "err", err)
		}
		return
	}
	seq, _ := s.engine.Seq()
	err = s.phones.Subscribe(w, r, id, seq, func() (protocol.TicketView, error) {
		v, _, err := s.ticketView(r, tok)
		return v, err
	})
	if err != nil && !errors.Is(err, hub.ErrClosed) && !errors.Is(err, hub.ErrTooMany) {
		s.log.Debug("ticket websocket ended at start", "err", err)
	}
}

// rateTicket answers POST /api/v1/tickets/{token}/rating.
func (s *Server) rateTicket(w http.ResponseWriter, r *http.Request, _ auth.Principal) error {
	tok := r.PathValue("token")
	if !tokenPattern.MatchString(tok) {
		return errf(protocol.CodeNotFound, "unknown ticket")
	}
	var req protocol.RatingRequest
	if err := decode(w, r, &req); err != nil {
		return err
	}
	rt, err := s.engine.RateByToken(r.Context(), tok, req)
	if err != nil {
		return err
	}
	rt.ClerkID = "" // the citizen needs no staff ids
	writeJSON(w, http.StatusCreated, rt)
	return nil
}

// pendingRating answers GET /api/v1/counters/{id}/rating (the tablet).
func (s *Server) pendingRating(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	id, err := counterFor(r, p)
	if err != nil {
		return err
	}
	if _, err := s.engine.Counter(id); err != nil {
		return err
	}
	pr, err := s.engine.PendingRating(r.Context(), id)
	if err != nil {
		return err
	}
	if pr == nil {
		w.WriteHeader(http.StatusNoContent)
		return nil
	}
	writeJSON(w, http.StatusOK, pr)
	return nil
}

// rateAtCounter answers POST /api/v1/counters/{id}/rating (the tablet).
func (s *Server) rateAtCounter(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	id, err := counterFor(r, p)
	if err != nil {
		return err
	}
	var req protocol.RatingRequest
	if err := decode(w, r, &req); err != nil {
		return err
	}
	rt, err := s.engine.RateAtCounter(r.Context(), id, req)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, rt)
	return nil
}

// listRatings answers GET /api/v1/ratings?from=YYYY-MM-DD&to=YYYY-MM-DD&limit=N (admin).
func (s *Server) listRatings(w http.ResponseWriter, r *http.Request, _ auth.Principal) error {
	q := r.URL.Query()
	loc := s.engine.Location()
	from, to, err := queryRange(q, loc, s.clock.Now().In(loc))
	if err != nil {
		return err
	}
	limit := 1000
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 10000 {
			return errf(protocol.CodeBadRequest, "limit must be between 1 and 10000")
		}
		limit = n
	}
	out, err := s.engine.Ratings(r.Context(), from, to, limit)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}
