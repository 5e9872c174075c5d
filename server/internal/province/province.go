// Package province is the level above the centres of a multi-site
// deployment (docs/ARCHITECTURE.md, "Multi-site"): the registry of the
// centres that share one PostgreSQL database, and the province's own
// accounts (province_admin, province_supervisor) with their sessions. A
// centre's users and devices are the centre's (package auth, in the
// centre's schema); a province account acts in every centre. No I/O of
// its own: storage is its Store.
package province

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/civiq/civiq/server/internal/queue"
	"github.com/civiq/civiq/server/protocol"
)

// Province roles.
const (
	// RoleAdmin creates centres and acts as admin in every centre.
	RoleAdmin = "province_admin"
	// RoleSupervisor reads every centre as its supervisor does.
	RoleSupervisor = "province_supervisor"
)

// Roles are the roles of a province account.
var Roles = []string{RoleAdmin, RoleSupervisor}

// DefaultID names the default centre: the one a single-centre
// PostgreSQL deployment already holds (the public schema), served on the
// unprefixed paths. It cannot be created.
const DefaultID = "default"

// idPattern is a centre id: it becomes a path segment (/c/{id}/) and,
// with - mapped to _, a schema name.
var idPattern = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,31}$`)

// ValidID checks a centre id.
func ValidID(id string) error {
	if !idPattern.MatchString(id) || id == DefaultID {
		return queue.Errorf(protocol.CodeBadRequest, "centre id must be 1–32 characters of a-z, 0-9 and -, starting with a letter or digit, and not %q", DefaultID)
	}
	return nil
}

// SchemaOf is the PostgreSQL schema of a centre ("" for the default
// centre: the connection's own search_path).
func SchemaOf(id string) string {
	if id == DefaultID {
		return ""
	}
	return "centre_" + strings.ReplaceAll(id, "-", "_")
}

// Centre is an entry of the registry.
type Centre struct {
	ID       string    `json:"id"`
	Name     string    `json:"name"`
	TimeZone string    `json:"time_zone"`
	Created  time.Time `json:"created_at"`
	// Disabled: out of service (not served under /c/{id}/; data kept).
	Disabled bool `json:"disabled"`
}

// User is a province account.
type User struct {
	ID           string
	Username     string
	Name         string
	Role         string
	PasswordHash string
	Disabled     bool
	Created      time.Time
}

// Session is a province login.
type Session struct {
	TokenHash []byte
	UserID    string
	Expires   time.Time
}

// Store keeps the registry, the accounts and the sessions.
type Store interface {
	// Centres lists the centres that are ready to serve.
	Centres(ctx context.Context) ([]Centre, error)
	// ReserveCentre records a centre that is being created (not listed
	// yet); an id taken already is a CodeConflict error.
	ReserveCentre(ctx context.Context, c Centre) error
	// CentreReady lists the reserved centre, writing audit in the same
	// transaction.
	CentreReady(ctx context.Context, id string, audit ...AuditEntry) error
	// ForgetCentre removes a reservation that failed.
	ForgetCentre(ctx context.Context, id string) error
	// UpdateCentre renames (name non-nil) or takes out of service or
	// back (disabled non-nil) a ready centre; queue.ErrNotFound when none.
	// audit is written in the same transaction, but for a
	// centre.disable or centre.enable entry when the centre was so
	// already.
	UpdateCentre(ctx context.Context, id string, name *string, disabled *bool, audit ...AuditEntry) (Centre, error)
	// DeleteCentre drops a centre out of service, its data (its schema)
	// and its registry entry, in one transaction: queue.ErrNotFound when
	// there is no such ready centre, CodeConflict when it is in service.
	// Its id is free afterwards; audit is written in the same
	// transaction, so the deletion's entry outlives the centre.
	DeleteCentre(ctx context.Context, id string, audit ...AuditEntry) error

	// CreateUser adds an account, writing audit in the same transaction.
	CreateUser(ctx context.Context, u User, audit ...AuditEntry) error
	UserByName(ctx context.Context, username string) (User, error)
	UserByID(ctx context.Context, id string) (User, error)
	// Users lists the accounts by username.
	Users(ctx context.Context) ([]User, error)
	// UpdateUser applies change to account id in one transaction with
	// every account locked; it refuses (CodeConflict) a change that
	// leaves no enabled province admin. When change returns true the
	// account's sessions end, except the one whose hash is keep. The
	// audit entries change returns are written in the same transaction.
	UpdateUser(ctx context.Context, id string, keep []byte, change func(*User) (endSessions bool, audit []AuditEntry, err error)) (User, error)
	CreateSession(ctx context.Context, s Session) error
	Session(ctx context.Context, tokenHash []byte) (Session, error)
	DeleteSession(ctx context.Context, tokenHash []byte) error

	// AddAudit writes an entry of the audit log (a change the store does
	// not make itself).
	AddAudit(ctx context.Context, e AuditEntry) error
	// Audit lists the audit log's entries, newest first.
	Audit(ctx context.Context, f AuditFilter) ([]AuditEntry, error)
}

// TokenPrefix starts every province session token, so a centre tells it
// from its own tokens without a lookup in its own storage.
const TokenPrefix = "pv."

// Principal is a province account acting.
type Principal struct {
	UserID, Username, Role string
	Expires                time.Time
}

// Service is the province's accounts and registry.
type Service struct {
	store      Store
	clock      queue.Clock
	ttl        time.Duration
	bcryptCost int
	dummy      func() []byte
	// users serialises account creation (the unique name is the store's).
	users sync.Mutex
}

// New returns the service. bcryptCost 0 is bcrypt.DefaultCost; ttl 0 is
// 14 hours.
func New(st Store, clock queue.Clock, ttl time.Duration, bcryptCost int) *Service {
	if ttl <= 0 {
		ttl = 14 * time.Hour
	}
	if bcryptCost == 0 {
		bcryptCost = bcrypt.DefaultCost
	}
	s := &Service{store: st, clock: clock, ttl: ttl, bcryptCost: bcryptCost}
	s.dummy = sync.OnceValue(func() []byte {
		h, _ := bcrypt.GenerateFromPassword([]byte(rand.Text()), bcryptCost)
		return h
	})
	return s
}

// Store is the service's storage.
func (s *Service) Store() Store { return s.store }

var usernamePattern = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{1,39}$`)

// CreateUser adds a province account.
func (s *Service) CreateUser(ctx context.Context, username, name, role, password string) (User, error) {
	if !usernamePattern.MatchString(username) {
		return User{}, queue.Errorf(protocol.CodeBadRequest, "username must be 2–40 characters of a-z, 0-9, '.', '_' and '-'")
	}
	if !slices.Contains(Roles, role) {
		return User{}, queue.Errorf(protocol.CodeBadRequest, "role must be one of %v", Roles)
	}
	if err := checkPassword(password); err != nil {
		return User{}, err
	}
	name, err := queue.AdminText("name", name, 120, false)
	if err != nil {
		return User{}, err
	}
	h, err := bcrypt.GenerateFromPassword([]byte(password), s.bcryptCost)
	if err != nil {
		return User{}, err
	}
	u := User{ID: strings.ToLower(rand.Text()[:16]), Username: username, Name: name, Role: role, PasswordHash: string(h), Created: s.clock.Now()}
	s.users.Lock()
	defer s.users.Unlock()
	if err := s.store.CreateUser(ctx, u, Audit(ctx, u.Created, ActionAccountCreate, u.Username, u.Role)); err != nil {
		return User{}, err
	}
	return u, nil
}

func checkPassword(pw string) error {
	if len(pw) < 10 || len(pw) > 200 {
		return queue.Errorf(protocol.CodeBadRequest, "password must be 10–200 characters")
	}
	return nil
}

// Users lists the province accounts.
func (s *Service) Users(ctx context.Context) ([]User, error) { return s.store.Users(ctx) }

// ChangeOwnPassword sets the password of the account acting, after
// checking its current one; its other sessions end, the one doing it
// (tok) stays.
func (s *Service) ChangeOwnPassword(ctx context.Context, pr Principal, tok, old, pw string) error {
	if err := checkPassword(pw); err != nil {
		return err
	}
	if old == "" || len(old) > 200 {
		return queue.Errorf(protocol.CodeBadRequest, "old_password is required")
	}
	u, err := s.store.UserByID(ctx, pr.UserID)
	if err != nil {
		return err
	}
	if bcrypt.CompareHashAndPassword([]byte(u.PasswordHash), []byte(old)) != nil {
		return queue.Errorf(protocol.CodeForbidden, "the old password is wrong")
	}
	h, err := bcrypt.GenerateFromPassword([]byte(pw), s.bcryptCost)
	if err != nil {
		return err
	}
	_, err = s.store.UpdateUser(ctx, u.ID, hash(tok), func(u *User) (bool, []AuditEntry, error) {
		u.PasswordHash = string(h)
		return true, []AuditEntry{Audit(ctx, s.clock.Now(), ActionOwnPassword, u.Username, "")}, nil
	})
	return err
}

// UserPatch is a province admin's change to an account; nil fields stay.
type UserPatch struct {
	Name     *string `json:"name"`
	Role     *string `json:"role"`
	Password *string `json:"password"`
	Disabled *bool   `json:"disabled"`
}

// UpdateUser applies a province admin's change to account id: a new
// password (reset) or disabling ends every session of the account (its
// open websockets close at their next recheck); the last enabled
// province admin can be neither disabled nor demoted (CodeConflict); an
// admin cannot disable themself (CodeUnprocessable). Checked before
// anything is written.
func (s *Service) UpdateUser(ctx context.Context, by Principal, id string, in UserPatch) (User, error) {
	if by.Role != RoleAdmin {
		return User{}, queue.Errorf(protocol.CodeForbidden, "a %s may not do this", by.Role)
	}
	if in.Name == nil && in.Role == nil && in.Password == nil && in.Disabled == nil {
		return User{}, queue.Errorf(protocol.CodeBadRequest, "nothing to change: give name, role, password or disabled")
	}
	var name string
	if in.Name != nil {
		n, err := queue.AdminText("name", *in.Name, 120, false)
		if err != nil {
			return User{}, err
		}
		name = n
	}
	if in.Role != nil && !slices.Contains(Roles, *in.Role) {
		return User{}, queue.Errorf(protocol.CodeBadRequest, "role must be one of %v", Roles)
	}
	var h []byte
	if in.Password != nil {
		if err := checkPassword(*in.Password); err != nil {
			return User{}, err
		}
		var err error
		if h, err = bcrypt.GenerateFromPassword([]byte(*in.Password), s.bcryptCost); err != nil {
			return User{}, err
		}
	}
	if in.Disabled != nil && *in.Disabled && id == by.UserID {
		return User{}, queue.Errorf(protocol.CodeUnprocessable, "you cannot disable your own account")
	}
	return s.store.UpdateUser(ctx, id, nil, func(u *User) (bool, []AuditEntry, error) {
		end := false
		now := s.clock.Now()
		var audit []AuditEntry
		if in.Name != nil && u.Name != name {
			audit = append(audit, Audit(ctx, now, ActionAccountRename, u.Username, u.Name+" → "+name))
			u.Name = name
		}
		if in.Role != nil && u.Role != *in.Role {
			audit = append(audit, Audit(ctx, now, ActionAccountRole, u.Username, u.Role+" → "+*in.Role))
			u.Role = *in.Role
		}
		if h != nil {
			u.PasswordHash, end = string(h), true
			audit = append(audit, Audit(ctx, now, ActionAccountReset, u.Username, ""))
		}
		if in.Disabled != nil && *in.Disabled != u.Disabled {
			if *in.Disabled {
				end = true
				audit = append(audit, Audit(ctx, now, ActionAccountOff, u.Username, ""))
			} else {
				audit = append(audit, Audit(ctx, now, ActionAccountOn, u.Username, ""))
			}
			u.Disabled = *in.Disabled
		}
		return end, audit, nil
	})
}

var errBadLogin = queue.Errorf(protocol.CodeUnauthorized, "wrong username or password")

// Login checks a password and opens a province session; the token starts
// with TokenPrefix.
func (s *Service) Login(ctx context.Context, username, password string) (string, User, time.Time, error) {
	if username == "" || password == "" || len(username) > 100 || len(password) > 200 {
		return "", User{}, time.Time{}, errBadLogin
	}
	u, err := s.store.UserByName(ctx, username)
	if err != nil {
		if queue.IsNotFound(err) {
			_ = bcrypt.CompareHashAndPassword(s.dummy(), []byte(password))
			return "", User{}, time.Time{}, errBadLogin
		}
		return "", User{}, time.Time{}, err
	}
	if bcrypt.CompareHashAndPassword([]byte(u.PasswordHash), []byte(password)) != nil || u.Disabled {
		return "", User{}, time.Time{}, errBadLogin
	}
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	tok := TokenPrefix + base64.RawURLEncoding.EncodeToString(b)
	exp := s.clock.Now().Add(s.ttl)
	if err := s.store.CreateSession(ctx, Session{TokenHash: hash(tok), UserID: u.ID, Expires: exp}); err != nil {
		return "", User{}, time.Time{}, err
	}
	return tok, u, exp, nil
}

// Logout ends a province session.
func (s *Service) Logout(ctx context.Context, tok string) error {
	return s.store.DeleteSession(ctx, hash(tok))
}

func hash(tok string) []byte {
	h := sha256.Sum256([]byte(tok))
	return h[:]
}

// CSRF is the CSRF token of a province session used by a centre's pages
// (its cookie): derived from the session's token, so every instance and
// every centre agrees on it without storing it, and unguessable without
// the token.
func CSRF(tok string) string {
	h := sha256.Sum256([]byte("civiq-province-csrf\x00" + tok))
	return base64.RawURLEncoding.EncodeToString(h[:18])
}

// TokenHash is the stored form of a province token.
func TokenHash(tok string) []byte { return hash(tok) }

var errBadToken = queue.Errorf(protocol.CodeUnauthorized, "missing or invalid token")

// Authenticate resolves a province token.
func (s *Service) Authenticate(ctx context.Context, tok string) (Principal, error) {
	if !strings.HasPrefix(tok, TokenPrefix) || len(tok) > 200 {
		return Principal{}, errBadToken
	}
	sess, err := s.store.Session(ctx, hash(tok))
	if queue.IsNotFound(err) {
		return Principal{}, errBadToken
	} else if err != nil {
		return Principal{}, err
	}
	if !s.clock.Now().Before(sess.Expires) {
		return Principal{}, queue.Errorf(protocol.CodeUnauthorized, "session expired; log in again")
	}
	u, err := s.store.UserByID(ctx, sess.UserID)
	if queue.IsNotFound(err) {
		return Principal{}, errBadToken
	} else if err != nil {
		return Principal{}, err
	}
	if u.Disabled {
		return Principal{}, queue.Errorf(protocol.CodeUnauthorized, "account disabled")
	}
	return Principal{UserID: u.ID, Username: u.Username, Role: u.Role, Expires: sess.Expires}, nil
}

// Valid reports whether the session of a province token (by its hash)
// still works: for the recheck of open websockets, so a province logout
// or a disabled account closes them within the recheck's period.
func (s *Service) Valid(ctx context.Context, tokenHash []byte) (bool, error) {
	sess, err := s.store.Session(ctx, tokenHash)
	if queue.IsNotFound(err) {
		return false, nil
	} else if err != nil {
		return false, err
	}
	if !s.clock.Now().Before(sess.Expires) {
		return false, nil
	}
	u, err := s.store.UserByID(ctx, sess.UserID)
	if queue.IsNotFound(err) {
		return false, nil
	} else if err != nil {
		return false, err
	}
	return !u.Disabled, nil
}

// CentreRole is the role a province account has inside a centre: a
// province admin is the centre's admin, a province supervisor its
// supervisor.
func CentreRole(role string) string {
	if role == RoleAdmin {
		return protocol.RoleAdmin
	}
	return protocol.RoleSupervisor
}
