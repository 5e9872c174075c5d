package httpapi

import (
	"net/http"

	"github.com/civiq/civiq/server/internal/auth"
	"github.com/civiq/civiq/server/protocol"
)

func (s *Server) listServices(w http.ResponseWriter, r *http.Request, _ auth.Principal) error {
	writeJSON(w, http.StatusOK, s.engine.ServicesWithETA())
	return nil
}

func (s *Server) putService(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	var sv protocol.Service
	if err := decode(w, r, &sv); err != nil {
		return err
	}
	if sv.ID == "" {
		sv.ID = r.PathValue("id")
	}
	if sv.ID != r.PathValue("id") {
		return errf(protocol.CodeBadRequest, "id in the body differs from the path")
	}
	var before any
	for _, o := range s.engine.Services() {
		if o.ID == sv.ID {
			before = o
		}
	}
	out, err := s.engine.PutService(r.Context(), sv)
	if err != nil {
		return err
	}
	s.recordChange(r.Context(), p, "service.put", out.ID, before, out, "")
	writeJSON(w, http.StatusOK, out)
	return nil
}
