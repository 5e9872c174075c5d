package httpapi

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/gorilla/websocket"

	"github.com/civiq/civiq/server/internal/auth"
	"github.com/civiq/civiq/server/internal/hub"
	"github.com/civiq/civiq/server/protocol"
)

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
	// session's end closes it (auth.Authority tells the hub).
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
