package httpapi

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"time"

	"github.com/gorilla/websocket"

	"github.com/civiq/civiq/server/internal/auth"
	"github.com/civiq/civiq/server/internal/hub"
	"github.com/civiq/civiq/server/internal/queue"
	"github.com/civiq/civiq/server/protocol"
)

func (s *Server) health(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	if err := s.store.Ping(ctx); err != nil {
		s.log.Warn("health check failed", "err", err)
		writeJSON(w, http.StatusServiceUnavailable, map[string]any{"status": "unavailable",
			"error": protocol.ErrorBody{Code: protocol.CodeUnavailable, Message: "storage is unavailable"}})
		return
	}
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

func (s *Server) audit(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	limit := 200
	if v := r.URL.Query().Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 5000 {
			return errf(protocol.CodeBadRequest, "limit must be 1..5000")
		}
		limit = n
	}
	entries, err := s.users.Audit(r.Context(), limit)
	if err != nil {
		return err
	}
	if entries == nil {
		entries = []auth.AuditEntry{}
	}
	writeJSON(w, http.StatusOK, entries)
	return nil
}

// record writes an audit entry; failures are logged, never hidden.
func (s *Server) record(ctx context.Context, p auth.Principal, action, format string, args ...any) {
	e := auth.AuditEntry{At: s.clock.Now(), Actor: p.Name, Action: action, Detail: fmt.Sprintf(format, args...)}
	if err := s.users.AddAudit(ctx, e); err != nil {
		s.log.Error("audit log write failed", "action", action, "err", err)
	}
}

// ---- login ----

type loginResponse struct {
	protocol.LoginResponse
	CSRFToken string `json:"csrf_token"`
}

func (s *Server) login(w http.ResponseWriter, r *http.Request, _ auth.Principal) error {
	if !s.loginLim.allow(clientIP(r, s.opts.TrustProxy)) {
		return errf(protocol.CodeRateLimited, "too many login attempts; wait a minute")
	}
	var req protocol.LoginRequest
	if err := decode(w, r, &req); err != nil {
		return err
	}
	if req.Username == "" || req.Password == "" {
		return errf(protocol.CodeBadRequest, "username and password are required")
	}
	tok, sess, u, err := s.auth.Login(r.Context(), req.Username, req.Password)
	if err != nil {
		return err
	}
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: tok, Path: "/", HttpOnly: true, SameSite: http.SameSiteStrictMode,
		Secure: r.TLS != nil, Expires: sess.ExpiresAt})
	writeJSON(w, http.StatusOK, loginResponse{
		LoginResponse: protocol.LoginResponse{Token: tok, Role: u.Role, User: u.Username, Name: u.Name, CounterIDs: u.CounterIDs, ExpiresAt: sess.ExpiresAt},
		CSRFToken:     sess.CSRF,
	})
	return nil
}

func (s *Server) logout(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	if p.Kind == "user" {
		tok, _ := token(r, false)
		if err := s.auth.Logout(r.Context(), tok); err != nil {
			return err
		}
	}
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: "", Path: "/", HttpOnly: true, SameSite: http.SameSiteStrictMode, MaxAge: -1})
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) me(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	ids := p.CounterIDs
	if ids == nil {
		ids = []string{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"kind": p.Kind, "id": p.ID, "user": p.Name, "role": p.Role, "counter_ids": ids, "csrf_token": p.CSRF})
	return nil
}

// ---- centre, services, counters ----

func (s *Server) getCentre(w http.ResponseWriter, r *http.Request, _ auth.Principal) error {
	writeJSON(w, http.StatusOK, s.engine.Centre())
	return nil
}

func (s *Server) putCentre(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	var c protocol.Centre
	if err := decode(w, r, &c); err != nil {
		return err
	}
	out, err := s.engine.PutCentre(r.Context(), c)
	if err != nil {
		return err
	}
	s.record(r.Context(), p, "centre.update", "name=%q notice=%q read_numbers=%s", out.Name.Vi, out.Notice.Vi, out.ReadNumbers)
	writeJSON(w, http.StatusOK, out)
	return nil
}

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
	out, err := s.engine.PutService(r.Context(), sv)
	if err != nil {
		return err
	}
	s.record(r.Context(), p, "service.put", "id=%s prefix=%s name=%q enabled=%v daily_cap=%d target=%d", out.ID, out.Prefix, out.Name.Vi, out.Enabled, out.DailyCap, out.TargetMinutes)
	writeJSON(w, http.StatusOK, out)
	return nil
}

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
	out, err := s.engine.PutCounter(r.Context(), c)
	if err != nil {
		return err
	}
	s.record(r.Context(), p, "counter.put", "id=%s number=%d services=%v status=%s", out.ID, out.Number, out.ServiceIDs, out.Status)
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

// ---- counter actions ----

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
	writeJSON(w, http.StatusOK, t)
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
	writeJSON(w, http.StatusOK, t)
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

// ---- tickets ----

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
	t, err := s.engine.TicketByToken(r.Context(), tok)
	if err != nil {
		return err
	}
	t.Token = tok
	t.TrackURL = s.trackURL(r, tok)
	writeJSON(w, http.StatusOK, t)
	return nil
}

// ---- board and websocket ----

func (s *Server) board(w http.ResponseWriter, r *http.Request, _ auth.Principal) error {
	writeJSON(w, http.StatusOK, s.engine.Board())
	return nil
}

func (s *Server) ws(w http.ResponseWriter, r *http.Request) {
	p, err := s.authenticate(r, true, boardRoles)
	if err == nil && s.crossOriginCookie(r) {
		err = errf(protocol.CodeForbidden, "a session cookie from another origin cannot open a websocket")
	}
	if err == nil && !websocket.IsWebSocketUpgrade(r) {
		err = errf(protocol.CodeBadRequest, "this endpoint speaks websocket only")
	}
	var req hub.Request
	if err == nil {
		q := r.URL.Query()
		if v := q.Get("since"); v != "" {
			n, perr := strconv.ParseInt(v, 10, 64)
			if perr != nil || n < 0 {
				err = errf(protocol.CodeBadRequest, "since must be a non-negative integer")
			} else {
				req.Since = &n
			}
		}
		req.Epoch = q.Get("epoch")
		if len(req.Epoch) > 64 {
			err = errf(protocol.CodeBadRequest, "epoch is too long")
		}
	}
	if err != nil {
		if status := writeError(w, err); status >= 500 {
			s.log.Error("websocket refused", "err", err)
		}
		return
	}
	_ = p
	if err := s.hub.Serve(w, r, req); err != nil && !errors.Is(err, hub.ErrClosed) {
		s.log.Debug("websocket ended at start", "err", err)
	}
}

// ---- devices ----

func (s *Server) createDevice(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	var req protocol.DeviceRequest
	if err := decode(w, r, &req); err != nil {
		return err
	}
	d, err := s.auth.CreateDevice(r.Context(), req)
	if err != nil {
		return err
	}
	s.record(r.Context(), p, "device.create", "id=%s kind=%s name=%q", d.ID, d.Kind, d.Name)
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
	s.record(r.Context(), p, "device.revoke", "id=%s", id)
	w.WriteHeader(http.StatusNoContent)
	return nil
}

var printerStates = []string{"", "ok", "paper_low", "paper_out", "cover_open", "offline", "error"}

func (s *Server) heartbeat(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	var st protocol.DeviceStatus
	if err := decode(w, r, &st); err != nil {
		return err
	}
	if !slices.Contains(printerStates, st.Printer) {
		return errf(protocol.CodeBadRequest, "printer must be one of ok, paper_low, paper_out, cover_open, offline, error")
	}
	if len(st.Message) > 300 || len(st.Version) > 64 || st.Pending < 0 {
		return errf(protocol.CodeBadRequest, "message (300) or version (64) too long, or pending negative")
	}
	now := s.clock.Now()
	if err := s.users.TouchDevice(r.Context(), p.ID, now, &st); err != nil {
		return err
	}
	seq, epoch := s.engine.Seq()
	writeJSON(w, http.StatusOK, map[string]any{"server_time": now.In(s.engine.Location()), "seq": seq, "epoch": epoch})
	return nil
}

// ---- users ----

type userView struct {
	ID         string    `json:"id"`
	Username   string    `json:"username"`
	Name       string    `json:"name"`
	Role       string    `json:"role"`
	CounterIDs []string  `json:"counter_ids"`
	Disabled   bool      `json:"disabled"`
	CreatedAt  time.Time `json:"created_at"`
}

func viewUser(u auth.User) userView {
	ids := u.CounterIDs
	if ids == nil {
		ids = []string{}
	}
	return userView{ID: u.ID, Username: u.Username, Name: u.Name, Role: u.Role, CounterIDs: ids, Disabled: u.Disabled, CreatedAt: u.CreatedAt}
}

func (s *Server) listUsers(w http.ResponseWriter, r *http.Request, _ auth.Principal) error {
	us, err := s.users.Users(r.Context())
	if err != nil {
		return err
	}
	out := make([]userView, 0, len(us))
	for _, u := range us {
		out = append(out, viewUser(u))
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (s *Server) checkCounters(ids []string) error {
	for _, id := range ids {
		if _, err := s.engine.Counter(id); err != nil {
			return errf(protocol.CodeUnprocessable, "unknown counter %q", id)
		}
	}
	return nil
}

func (s *Server) createUser(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	var in auth.UserInput
	if err := decode(w, r, &in); err != nil {
		return err
	}
	if err := s.checkCounters(in.CounterIDs); err != nil {
		return err
	}
	u, err := s.auth.CreateUser(r.Context(), in)
	if err != nil {
		return err
	}
	s.record(r.Context(), p, "user.create", "username=%s role=%s counters=%v", u.Username, u.Role, u.CounterIDs)
	writeJSON(w, http.StatusCreated, viewUser(u))
	return nil
}

type userPatch struct {
	Name       *string   `json:"name"`
	Role       *string   `json:"role"`
	Password   *string   `json:"password"`
	CounterIDs *[]string `json:"counter_ids"`
	Disabled   *bool     `json:"disabled"`
}

func (s *Server) updateUser(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	var in userPatch
	if err := decode(w, r, &in); err != nil {
		return err
	}
	u, err := s.users.UserByID(r.Context(), r.PathValue("id"))
	if err != nil {
		if queue.IsNotFound(err) {
			return errf(protocol.CodeNotFound, "unknown user")
		}
		return err
	}
	if in.Role != nil {
		if !validUserRole(*in.Role) {
			return errf(protocol.CodeBadRequest, "role must be admin, supervisor or clerk")
		}
		u.Role = *in.Role
	}
	if in.Name != nil {
		if len([]rune(*in.Name)) > 100 {
			return errf(protocol.CodeBadRequest, "name is at most 100 characters")
		}
		u.Name = *in.Name
	}
	if in.CounterIDs != nil {
		if err := s.checkCounters(*in.CounterIDs); err != nil {
			return err
		}
		u.CounterIDs = *in.CounterIDs
	}
	if in.Disabled != nil {
		if *in.Disabled && u.ID == p.ID {
			return errf(protocol.CodeUnprocessable, "you cannot disable your own account")
		}
		u.Disabled = *in.Disabled
	}
	if err := s.users.UpdateUser(r.Context(), u); err != nil {
		return err
	}
	s.auth.Invalidate()
	if in.Password != nil {
		if err := s.auth.SetPassword(r.Context(), u.ID, *in.Password); err != nil {
			return err
		}
	}
	s.record(r.Context(), p, "user.update", "username=%s role=%s counters=%v disabled=%v password_reset=%v", u.Username, u.Role, u.CounterIDs, u.Disabled, in.Password != nil)
	writeJSON(w, http.StatusOK, viewUser(u))
	return nil
}
