package httpapi

import (
	"context"
	"errors"
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

// ---- login ----

type loginResponse struct {
	protocol.LoginResponse
	CSRFToken string `json:"csrf_token"`
}

func (s *Server) login(w http.ResponseWriter, r *http.Request, _ auth.Principal) error {
	if ok, wait := s.loginLim.take(clientIP(r, s.opts.TrustProxy)); !ok {
		return tooMany(wait, "too many login attempts; try again in %s", retryAfter(wait)+" s")
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
		Secure: s.secureRequest(r), Expires: sess.ExpiresAt})
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
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: "", Path: "/", HttpOnly: true, SameSite: http.SameSiteStrictMode,
		Secure: s.secureRequest(r), MaxAge: -1})
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
	before := s.engine.Centre()
	out, err := s.engine.PutCentre(r.Context(), c)
	if err != nil {
		return err
	}
	s.recordChange(r.Context(), p, "centre.update", "centre", before, out, "")
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
	var before any
	if cs, err := s.engine.Counter(c.ID); err == nil {
		before = cs.Counter
	}
	out, err := s.engine.PutCounter(r.Context(), c)
	if err != nil {
		return err
	}
	s.recordChange(r.Context(), p, "counter.put", out.ID, before, out, "")
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
	t, status, err := s.ticketOrPending(r, tok)
	if err != nil {
		return err
	}
	t.Token = tok
	t.TrackURL = s.trackURL(r, tok)
	writeJSON(w, status, t)
	return nil
}

// ---- board and websocket ----

func (s *Server) board(w http.ResponseWriter, r *http.Request, _ auth.Principal) error {
	writeJSON(w, http.StatusOK, s.engine.Board())
	return nil
}

func (s *Server) ws(w http.ResponseWriter, r *http.Request) {
	authAt := time.Now()
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
	// ?counter=ID: a clerk console attached to its counter. The counter
	// counts as staffed while the connection lasts (docs/API.md, "Open
	// means staffed").
	counter := ""
	if err == nil {
		counter = r.URL.Query().Get("counter")
		if counter != "" {
			if _, cerr := s.engine.Counter(counter); cerr != nil {
				err = cerr
			} else if p.Role != protocol.RoleClerk && p.Role != protocol.RoleAdmin || !p.Serves(counter) {
				err = errf(protocol.CodeForbidden, "you are not assigned to counter %q", counter)
			}
		}
	}
	if err != nil {
		if status := writeError(w, s.storageError(err)); status >= 500 {
			s.log.Error("websocket refused", "err", err)
		}
		return
	}
	// The socket knows its credential: revoking it, logging out or the
	// session's end closes it (auth.Service tells the hub).
	req.Keys, req.AuthAt = p.Keys(), authAt
	req.Devices = p.Role == protocol.RoleAdmin || p.Role == protocol.RoleSupervisor
	if !p.Expires.IsZero() {
		req.ExpiresIn = max(p.Expires.Sub(s.clock.Now()), time.Millisecond)
	}
	var release func()
	if counter != "" {
		// Detached from the request: the attachment outlives the handler.
		release = s.engine.Attach(context.WithoutCancel(r.Context()), counter)
		req.OnClose = release
	}
	if err := s.hub.Serve(w, r, req); err != nil {
		if release != nil {
			release()
		}
		if !errors.Is(err, hub.ErrClosed) {
			s.log.Debug("websocket ended at start", "err", err)
		}
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
	if s.beats.changed(p.ID, now, st) {
		s.hub.DeviceChanged(protocol.DeviceChange{ID: p.ID, Change: protocol.DeviceStatusChanged})
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
	s.recordChange(r.Context(), p, "user.create", u.Username, nil, auditUser(u, false), "")
	writeJSON(w, http.StatusCreated, viewUser(u))
	return nil
}

// auditUser is what the audit log shows of a user: never the password,
// only that it changed.
func auditUser(u auth.User, passwordChanged bool) map[string]any {
	v := viewUser(u)
	m := map[string]any{"username": v.Username, "name": v.Name, "role": v.Role, "counter_ids": v.CounterIDs, "disabled": v.Disabled}
	if passwordChanged {
		m["password"] = "(changed)"
	}
	return m
}

func (s *Server) updateUser(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	var in auth.UserPatch
	if err := decode(w, r, &in); err != nil {
		return err
	}
	id := r.PathValue("id")
	if in.Disabled != nil && *in.Disabled && id == p.ID {
		return errf(protocol.CodeUnprocessable, "you cannot disable your own account")
	}
	if in.CounterIDs != nil {
		if err := s.checkCounters(*in.CounterIDs); err != nil {
			return err
		}
	}
	// Changing one's own password keeps the session doing it; every other
	// session of the user ends.
	var keep []byte
	if id == p.ID && p.Kind == "user" {
		keep = p.TokenHash
	}
	before, u, err := s.auth.UpdateUser(r.Context(), id, in, keep)
	if err != nil {
		return err
	}
	s.recordChange(r.Context(), p, "user.update", u.Username, auditUser(before, false), auditUser(u, in.Password != nil), "")
	writeJSON(w, http.StatusOK, viewUser(u))
	return nil
}
