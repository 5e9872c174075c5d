package httpapi

import (
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/gorilla/websocket"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/civiq/civiq/server/internal/auth"
	"github.com/civiq/civiq/server/internal/hub"
	"github.com/civiq/civiq/server/internal/queue"
	"github.com/civiq/civiq/server/protocol"
)

// Phone page, ratings and the counter-side rating tablet (issue 6).

// SetTicketHub sets the hub of the ticket-scoped websocket (/ws/ticket/{token})
// and exports its connection count as civiq_phone_clients. Call it once.
func (s *Server) SetTicketHub(t *hub.TicketHub) {
	s.phones = t
	s.reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "civiq_phone_clients", Help: "Phone pages following a ticket live."},
		func() float64 { return float64(t.Clients()) }))
}

// ticketView builds the phone's view of the ticket holding tok.
func (s *Server) ticketView(r *http.Request, tok string) (protocol.TicketView, error) {
	t, err := s.engine.TicketByToken(r.Context(), tok)
	if err != nil {
		return protocol.TicketView{}, err
	}
	v := protocol.TicketView{Ticket: t, Reason: protocol.ViewSnapshot, Service: s.engine.ServiceName(t.ServiceID)}
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
			return v, err
		}
		v.Rated = rated
		v.CanRate = !rated && t.FinishedAt != nil && s.clock.Now().Sub(*t.FinishedAt) <= queue.PhoneRatingWindow
	}
	return v, nil
}

// phonePublic rate-limits an anonymous phone request by IP.
func (s *Server) phonePublic(r *http.Request) error {
	if !s.publicLim.allow(clientIP(r, s.opts.TrustProxy)) {
		return errf(protocol.CodeRateLimited, "too many requests; slow down")
	}
	return nil
}

// getTicketView answers GET /api/v1/tickets/{token}/view.
func (s *Server) getTicketView(w http.ResponseWriter, r *http.Request, _ auth.Principal) error {
	tok := r.PathValue("token")
	if !tokenPattern.MatchString(tok) {
		return errf(protocol.CodeNotFound, "unknown ticket")
	}
	v, err := s.ticketView(r, tok)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, v)
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
		// Refuse unknown tokens before upgrading, with a JSON 404.
		var t protocol.Ticket
		t, err = s.engine.TicketByToken(r.Context(), tok)
		id = t.ID
	}
	if err == nil && !websocket.IsWebSocketUpgrade(r) {
		err = errf(protocol.CodeBadRequest, "this endpoint speaks websocket only")
	}
	if err != nil {
		if status := writeError(w, err); status >= 500 {
			s.log.Error("ticket websocket refused", "err", err)
		}
		return
	}
	seq, _ := s.engine.Seq()
	err = s.phones.Subscribe(w, r, id, seq, func() (protocol.TicketView, error) { return s.ticketView(r, tok) })
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
	now := s.clock.Now().In(loc)
	from := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, loc).AddDate(0, 0, -30)
	to := now.Add(time.Second)
	if v := q.Get("from"); v != "" {
		d, err := time.ParseInLocation(time.DateOnly, v, loc)
		if err != nil {
			return errf(protocol.CodeBadRequest, "from must be a date YYYY-MM-DD")
		}
		from = d
	}
	if v := q.Get("to"); v != "" {
		d, err := time.ParseInLocation(time.DateOnly, v, loc)
		if err != nil {
			return errf(protocol.CodeBadRequest, "to must be a date YYYY-MM-DD")
		}
		to = d.AddDate(0, 0, 1) // inclusive
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
