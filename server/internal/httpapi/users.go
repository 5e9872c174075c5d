package httpapi

import (
	"net/http"
	"time"

	"github.com/civiq/civiq/server/internal/auth"
	"github.com/civiq/civiq/server/protocol"
)

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
