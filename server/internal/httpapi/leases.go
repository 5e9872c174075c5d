package httpapi

import (
	"net/http"

	"github.com/civiq/civiq/server/internal/auth"
	"github.com/civiq/civiq/server/protocol"
)

// Offline issuing by kiosks (docs/KIOSK.md): leases of numbers while
// online, sync of the tickets printed from them once back.

func (s *Server) lease(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	var req protocol.LeaseRequest
	if err := decode(w, r, &req); err != nil {
		return err
	}
	l, err := s.engine.Lease(r.Context(), p.Kind+":"+p.ID, req)
	if err != nil {
		return err
	}
	for i := range l.Tickets {
		l.Tickets[i].TrackURL = s.trackURL(r, l.Tickets[i].Token)
	}
	writeJSON(w, http.StatusCreated, l)
	return nil
}

func (s *Server) syncTickets(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	var req protocol.SyncRequest
	if err := decode(w, r, &req); err != nil {
		return err
	}
	res, err := s.engine.Sync(r.Context(), p.Kind+":"+p.ID, req.Tickets)
	if err != nil {
		return err
	}
	out := protocol.SyncResponse{Results: make([]protocol.SyncResult, len(res))}
	for i, x := range res {
		out.Results[i] = x.SyncResult
		if t := x.Ticket; t != nil {
			t.Token, t.TrackURL = x.Token, s.trackURL(r, x.Token)
			if !x.Replayed {
				s.m.issued.WithLabelValues(t.ServiceID).Inc()
			}
		}
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}
