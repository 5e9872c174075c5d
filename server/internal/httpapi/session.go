package httpapi

import (
	"net/http"

	"github.com/civiq/civiq/server/internal/auth"
	"github.com/civiq/civiq/server/protocol"
)

type loginResponse struct {
	protocol.LoginResponse
	CSRFToken string `json:"csrf_token"`
}

func (s *Server) login(w http.ResponseWriter, r *http.Request, _ auth.Principal) error {
	if ok, wait := s.loginLim.takeShared(r.Context(), clientIP(r, s.opts.TrustProxy)); !ok {
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
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: tok, Path: s.cookiePath(), HttpOnly: true, SameSite: http.SameSiteStrictMode,
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
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: "", Path: s.cookiePath(), HttpOnly: true, SameSite: http.SameSiteStrictMode,
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

// provinceSession serves POST /api/v1/province-session: a province
// account (Authorization: Bearer pv.…) gets this centre's session cookie
// holding its province token, so the centre's pages (admin, dashboard,
// reports) work for it with the role it has on the API. The province
// session's end or the account's disabling ends it here too; the centre's
// logout only drops the cookie.
func (s *Server) provinceSession(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	tok, viaCookie := token(r, false)
	if p.Kind != auth.KindProvince || viaCookie {
		return errf(protocol.CodeForbidden, "this needs a province token: Authorization: Bearer pv.…")
	}
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: tok, Path: s.cookiePath(), HttpOnly: true, SameSite: http.SameSiteStrictMode,
		Secure: s.secureRequest(r), Expires: p.Expires})
	writeJSON(w, http.StatusOK, map[string]any{"kind": p.Kind, "user": p.Name, "role": p.Role, "csrf_token": p.CSRF, "expires_at": p.Expires})
	return nil
}
