package httpapi

import (
	"errors"
	"net/http"
	"strconv"

	"github.com/civiq/civiq/server/internal/auth"
	"github.com/civiq/civiq/server/internal/webhook"
	"github.com/civiq/civiq/server/protocol"
)

// SetWebhooks enables the webhook endpoints. Call it once, before serving.
func (s *Server) SetWebhooks(d *webhook.Dispatcher) { s.webhooks = d }

func (s *Server) webhookDispatcher() (*webhook.Dispatcher, error) {
	if s.webhooks == nil {
		return nil, errf(protocol.CodeUnavailable, "webhooks are not available in this build")
	}
	return s.webhooks, nil
}

func webhookErr(err error) error {
	if errors.Is(err, webhook.ErrNotFound) {
		return errf(protocol.CodeNotFound, "unknown webhook")
	}
	return err
}

// createWebhook serves POST /api/v1/webhooks: 201 with the secret, shown once.
func (s *Server) createWebhook(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	d, err := s.webhookDispatcher()
	if err != nil {
		return err
	}
	var req webhook.Request
	if err := decode(w, r, &req); err != nil {
		return err
	}
	if _, err := req.Validate(); err != nil {
		return errf(protocol.CodeBadRequest, "%v", err)
	}
	ep, err := d.Create(r.Context(), req)
	if err != nil {
		return err
	}
	s.record(r.Context(), p, "webhook.create", "id=%s url=%s events=%v", ep.ID, ep.URL, ep.Events)
	writeJSON(w, http.StatusCreated, struct {
		ID     string   `json:"id"`
		URL    string   `json:"url"`
		Events []string `json:"events"`
		Secret string   `json:"secret"`
	}{ep.ID, ep.URL, ep.Events, ep.Secret})
	return nil
}

// listWebhooks serves GET /api/v1/webhooks (no secrets).
func (s *Server) listWebhooks(w http.ResponseWriter, r *http.Request, _ auth.Principal) error {
	d, err := s.webhookDispatcher()
	if err != nil {
		return err
	}
	eps, err := d.List(r.Context())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, eps)
	return nil
}

// deleteWebhook serves DELETE /api/v1/webhooks/{id}.
func (s *Server) deleteWebhook(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	d, err := s.webhookDispatcher()
	if err != nil {
		return err
	}
	id := r.PathValue("id")
	if err := d.Delete(r.Context(), id); err != nil {
		return webhookErr(err)
	}
	s.record(r.Context(), p, "webhook.delete", "id=%s", id)
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// webhookDeliveries serves GET /api/v1/webhooks/{id}/deliveries: the
// newest attempts first (?limit, default 50).
func (s *Server) webhookDeliveries(w http.ResponseWriter, r *http.Request, _ auth.Principal) error {
	d, err := s.webhookDispatcher()
	if err != nil {
		return err
	}
	limit := 50
	if v := r.URL.Query().Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 200 {
			return errf(protocol.CodeBadRequest, "limit must be 1–200")
		}
		limit = n
	}
	id := r.PathValue("id")
	if err := s.webhookExists(r, d, id); err != nil {
		return err
	}
	out, err := d.Attempts(r.Context(), id, limit)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (s *Server) webhookExists(r *http.Request, d *webhook.Dispatcher, id string) error {
	eps, err := d.List(r.Context())
	if err != nil {
		return err
	}
	for _, ep := range eps {
		if ep.ID == id {
			return nil
		}
	}
	return errf(protocol.CodeNotFound, "unknown webhook")
}

// resendWebhook serves POST /api/v1/webhooks/{id}/resend {"seq":N}: 202,
// the event goes out again (with its usual webhook-id).
func (s *Server) resendWebhook(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	d, err := s.webhookDispatcher()
	if err != nil {
		return err
	}
	var req struct {
		Seq int64 `json:"seq"`
	}
	if err := decode(w, r, &req); err != nil {
		return err
	}
	if req.Seq < 1 {
		return errf(protocol.CodeBadRequest, "seq must be a positive event seq")
	}
	id := r.PathValue("id")
	if err := d.Resend(r.Context(), id, req.Seq); err != nil {
		return webhookErr(err)
	}
	s.record(r.Context(), p, "webhook.resend", "id=%s seq=%d", id, req.Seq)
	writeJSON(w, http.StatusAccepted, struct {
		Seq int64 `json:"seq"`
	}{req.Seq})
	return nil
}
