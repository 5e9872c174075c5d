package httpapi

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/civiq/civiq/server/internal/auth"
	"github.com/civiq/civiq/server/internal/queue"
	"github.com/civiq/civiq/server/protocol"
)

// health answers /healthz and /readyz: 200 {"status":"ok"} while the store
// can commit, else 503 {"status":"unavailable","reason":"disk full"} (the
// reason is the store's short diagnosis; the details go to the log).
func (s *Server) health(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 3*time.Second)
	defer cancel()
	if err := s.store.Health(ctx); err != nil {
		reason := "storage is unavailable"
		var qe *queue.Error
		if errors.As(err, &qe) && qe.Code == protocol.CodeUnavailable {
			reason = qe.Message
		}
		s.log.Warn("health check failed", "reason", reason, "err", err)
		writeJSON(w, http.StatusServiceUnavailable, map[string]any{"status": "unavailable", "reason": reason,
			"error": protocol.ErrorBody{Code: protocol.CodeUnavailable, Message: "storage is unavailable: " + reason}})
		return
	}
	writeJSON(w, http.StatusOK, protocol.Health{Status: "ok"})
}

// live answers /livez: 200 while the process runs and serves HTTP, whatever
// the storage; a supervisor restarts the process when it stops answering.
func (s *Server) live(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, protocol.Health{Status: "ok"})
}

func (s *Server) version(w http.ResponseWriter, r *http.Request, _ auth.Principal) error {
	seq, epoch := s.engine.Seq()
	writeJSON(w, http.StatusOK, map[string]any{"version": s.opts.Version, "api": protocol.Version, "seq": seq, "epoch": epoch})
	return nil
}

func (s *Server) notFound(w http.ResponseWriter, r *http.Request, _ auth.Principal) error {
	return errf(protocol.CodeNotFound, "no endpoint %s %s", r.Method, r.URL.Path)
}
