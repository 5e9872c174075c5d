package httpapi

import (
	"net/http"

	"github.com/civiq/civiq/server/internal/auth"
	"github.com/civiq/civiq/server/protocol"
)

func (s *Server) getCentre(w http.ResponseWriter, r *http.Request, _ auth.Principal) error {
	writeJSON(w, http.StatusOK, s.engine.Centre())
	return nil
}

func (s *Server) putCentre(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	var c protocol.Centre
	if err := decode(w, r, &c); err != nil {
		return err
	}
	before := s.engine.Centre()
	out, err := s.engine.PutCentre(r.Context(), c)
	if err != nil {
		return err
	}
	s.recordChange(r.Context(), p, "centre.update", "centre", before, out, "")
	writeJSON(w, http.StatusOK, out)
	return nil
}
