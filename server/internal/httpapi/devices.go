package httpapi

import (
	"net/http"
	"slices"
	"strings"

	"github.com/civiq/civiq/server/internal/auth"
	"github.com/civiq/civiq/server/internal/queue"
	"github.com/civiq/civiq/server/protocol"
)

func (s *Server) createDevice(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	var req protocol.DeviceRequest
	if err := decode(w, r, &req); err != nil {
		return err
	}
	d, err := s.auth.CreateDevice(r.Context(), req)
	if err != nil {
		return err
	}
	s.recordChange(r.Context(), p, "device.create", d.ID, nil, map[string]any{"kind": d.Kind, "name": d.Name}, "")
	s.hub.DeviceChanged(protocol.DeviceChange{ID: d.ID, Change: protocol.DeviceCreated})
	writeJSON(w, http.StatusCreated, d)
	return nil
}

func (s *Server) listDevices(w http.ResponseWriter, r *http.Request, _ auth.Principal) error {
	ds, err := s.users.Devices(r.Context())
	if err != nil {
		return err
	}
	out := make([]protocol.Device, 0, len(ds))
	for _, d := range ds {
		out = append(out, d.Device)
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (s *Server) revokeDevice(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	id := r.PathValue("id")
	if err := s.auth.RevokeDevice(r.Context(), id); err != nil {
		if queue.IsNotFound(err) {
			return errf(protocol.CodeNotFound, "unknown device %q", id)
		}
		return err
	}
	s.recordChange(r.Context(), p, "device.revoke", id, map[string]any{"revoked": false}, map[string]any{"revoked": true}, "")
	s.beats.forget(id)
	s.hub.DeviceChanged(protocol.DeviceChange{ID: id, Change: protocol.DeviceRevoked})
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) heartbeat(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	var st protocol.DeviceStatus
	if err := decode(w, r, &st); err != nil {
		return err
	}
	if st.Printer != "" && !slices.Contains(protocol.PrinterStates(), st.Printer) {
		return errf(protocol.CodeBadRequest, "printer must be one of %s", strings.Join(protocol.PrinterStates(), ", "))
	}
	if len(st.Message) > 300 || len(st.Version) > 64 || st.Pending < 0 {
		return errf(protocol.CodeBadRequest, "message (300) or version (64) too long, or pending negative")
	}
	now := s.clock.Now()
	if err := s.users.TouchDevice(r.Context(), p.ID, now, &st); err != nil {
		return err
	}
	if s.beats.changed(p.ID, now, st) {
		s.hub.DeviceChanged(protocol.DeviceChange{ID: p.ID, Change: protocol.DeviceStatusChanged})
	}
	seq, epoch := s.engine.Seq()
	writeJSON(w, http.StatusOK, map[string]any{"server_time": now.In(s.engine.Location()), "seq": seq, "epoch": epoch})
	return nil
}
