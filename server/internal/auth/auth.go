// Package auth holds users, sessions and devices: who may do what. Passwords
// are bcrypt hashes; session and device tokens are random and stored only as
// SHA-256 hashes.
package auth

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"golang.org/x/crypto/bcrypt"

	"github.com/civiq/civiq/server/internal/queue"
	"github.com/civiq/civiq/server/protocol"
)

// User is a person who logs in: an admin or a clerk.
type User struct {
	ID           string
	Username     string
	Name         string
	Role         string
	PasswordHash string
	// CounterIDs are the counters a clerk may serve.
	CounterIDs []string
	Disabled   bool
	CreatedAt  time.Time
}

// Session is a logged-in user's token.
type Session struct {
	TokenHash []byte
	UserID    string
	// CSRF is the token cookie-authenticated pages must echo in X-CSRF-Token.
	CSRF      string
	CreatedAt time.Time
	ExpiresAt time.Time
}

// Device is a kiosk or display with its token hash.
type Device struct {
	protocol.Device
	TokenHash []byte
}

// AuditEntry records an administrative action.
type AuditEntry struct {
	ID     int64     `json:"id"`
	At     time.Time `json:"at"`
	Actor  string    `json:"actor"`
	Action string    `json:"action"`
	Detail string    `json:"detail"`
}

// Store keeps users, sessions, devices and the audit log. Writes are durable
// when they return.
type Store interface {
	CreateUser(ctx context.Context, u User) error
	UpdateUser(ctx context.Context, u User) error
	UserByName(ctx context.Context, username string) (User, error)
	UserByID(ctx context.Context, id string) (User, error)
	Users(ctx context.Context) ([]User, error)
	CountUsers(ctx context.Context) (int, error)

	CreateSession(ctx context.Context, s Session) error
	Session(ctx context.Context, tokenHash []byte) (Session, error)
	DeleteSession(ctx context.Context, tokenHash []byte) error
	DeleteExpiredSessions(ctx context.Context, now time.Time) error

	CreateDevice(ctx context.Context, d Device) error
	DeviceByTokenHash(ctx context.Context, tokenHash []byte) (Device, error)
	Devices(ctx context.Context) ([]Device, error)
	TouchDevice(ctx context.Context, id string, at time.Time, status *protocol.DeviceStatus) error
	RevokeDevice(ctx context.Context, id string) error

	AddAudit(ctx context.Context, e AuditEntry) error
	Audit(ctx context.Context, limit int) ([]AuditEntry, error)
}

// Principal is who made a request.
type Principal struct {
	// Kind is "user" or "device".
	Kind       string
	ID         string
	Name       string
	Role       string
	CounterIDs []string
	// CSRF is the session's CSRF token (users only).
	CSRF string
	// TokenHash identifies the session or device token used.
	TokenHash []byte
}

// Is reports whether the principal has one of roles.
func (p Principal) Is(roles ...string) bool { return slices.Contains(roles, p.Role) }

// Serves reports whether the principal may act for counter id: admins for
// every counter, clerks for theirs.
func (p Principal) Serves(counterID string) bool {
	return p.Role == protocol.RoleAdmin || p.Role == protocol.RoleClerk && slices.Contains(p.CounterIDs, counterID)
}

// Service implements logins, token checks and account management.
type Service struct {
	store      Store
	clock      queue.Clock
	sessionTTL time.Duration
	// bcryptCost is the work factor of new password hashes.
	bcryptCost int
	// dummyHash is compared against when the user does not exist, so that a
	// login for an unknown name takes as long as one with a wrong password.
	dummyHash func() []byte

	// cache remembers resolved tokens for cacheTTL, so that the hot paths
	// (a kiosk issuing, a clerk calling) do not read sessions and devices
	// from storage on every request. Changes made through this Service
	// clear it at once; changes made by another server instance take
	// effect within cacheTTL.
	mu    sync.Mutex
	cache map[string]cachedPrincipal
}

type cachedPrincipal struct {
	p       Principal
	until   time.Time // cache entry expiry
	expires time.Time // session expiry (zero for devices)
}

// cacheTTL bounds how long a revoked token may still work on another
// instance of a scaled-out server.
const cacheTTL = 10 * time.Second

// RevokeDevice revokes a device token; it stops working at once here.
func (s *Service) RevokeDevice(ctx context.Context, id string) error {
	defer s.Invalidate()
	return s.store.RevokeDevice(ctx, id)
}

// Invalidate forgets every cached token, after a revocation, a disabled
// account or a changed role.
func (s *Service) Invalidate() {
	s.mu.Lock()
	clear(s.cache)
	s.mu.Unlock()
}

// DefaultSessionTTL is how long a login lasts: one working day and a bit.
const DefaultSessionTTL = 14 * time.Hour

// NewService returns the auth service. bcryptCost 0 means bcrypt.DefaultCost;
// tests lower it because the race detector makes bcrypt very slow.
func NewService(store Store, clock queue.Clock, sessionTTL time.Duration, bcryptCost int) *Service {
	if sessionTTL <= 0 {
		sessionTTL = DefaultSessionTTL
	}
	if bcryptCost == 0 {
		bcryptCost = bcrypt.DefaultCost
	}
	s := &Service{store: store, clock: clock, sessionTTL: sessionTTL, bcryptCost: bcryptCost, cache: map[string]cachedPrincipal{}}
	// Computed on first use: hashing costs ~60 ms, which a restart should not pay.
	s.dummyHash = sync.OnceValue(func() []byte {
		h, _ := bcrypt.GenerateFromPassword([]byte(NewToken()), bcryptCost)
		return h
	})
	return s
}

// NewToken returns a random 256-bit token, base64url.
func NewToken() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b) // crypto/rand.Read never fails on supported platforms.
	return base64.RawURLEncoding.EncodeToString(b)
}

// HashToken is the SHA-256 of a token.
func HashToken(token string) []byte {
	h := sha256.Sum256([]byte(token))
	return h[:]
}

// newID returns a short random id.
func newID() string { return strings.ToLower(rand.Text()[:16]) }

var errBadLogin = queue.Errorf(protocol.CodeUnauthorized, "wrong username or password")

// Login checks a password and opens a session.
func (s *Service) Login(ctx context.Context, username, password string) (string, Session, User, error) {
	if username == "" || password == "" || len(username) > 100 || len(password) > 200 {
		return "", Session{}, User{}, errBadLogin
	}
	u, err := s.store.UserByName(ctx, username)
	if err != nil {
		if queue.IsNotFound(err) {
			_ = bcrypt.CompareHashAndPassword(s.dummyHash(), []byte(password))
			return "", Session{}, User{}, errBadLogin
		}
		return "", Session{}, User{}, err
	}
	if bcrypt.CompareHashAndPassword([]byte(u.PasswordHash), []byte(password)) != nil || u.Disabled {
		return "", Session{}, User{}, errBadLogin
	}
	tok := NewToken()
	now := s.clock.Now()
	sess := Session{TokenHash: HashToken(tok), UserID: u.ID, CSRF: NewToken(), CreatedAt: now, ExpiresAt: now.Add(s.sessionTTL)}
	if err := s.store.CreateSession(ctx, sess); err != nil {
		return "", Session{}, User{}, err
	}
	return tok, sess, u, nil
}

// Logout ends the session of token.
func (s *Service) Logout(ctx context.Context, token string) error {
	s.mu.Lock()
	delete(s.cache, string(HashToken(token)))
	s.mu.Unlock()
	return s.store.DeleteSession(ctx, HashToken(token))
}

// Authenticate resolves a session or device token to a principal.
func (s *Service) Authenticate(ctx context.Context, token string) (Principal, error) {
	if token == "" || len(token) > 200 {
		return Principal{}, queue.Errorf(protocol.CodeUnauthorized, "missing or invalid token")
	}
	h := HashToken(token)
	now := s.clock.Now()
	s.mu.Lock()
	c, ok := s.cache[string(h)]
	s.mu.Unlock()
	if ok && now.Before(c.until) && (c.expires.IsZero() || now.Before(c.expires)) {
		return c.p, nil
	}
	p, expires, err := s.lookup(ctx, h)
	if err != nil {
		return p, err
	}
	s.mu.Lock()
	if len(s.cache) > 50000 {
		clear(s.cache) // bounded; refills from storage
	}
	s.cache[string(h)] = cachedPrincipal{p: p, until: now.Add(cacheTTL), expires: expires}
	s.mu.Unlock()
	return p, nil
}

// lookup resolves a token hash from storage.
func (s *Service) lookup(ctx context.Context, h []byte) (Principal, time.Time, error) {
	sess, err := s.store.Session(ctx, h)
	if err == nil {
		if !s.clock.Now().Before(sess.ExpiresAt) {
			return Principal{}, time.Time{}, queue.Errorf(protocol.CodeUnauthorized, "session expired; log in again")
		}
		u, err := s.store.UserByID(ctx, sess.UserID)
		if err != nil {
			if queue.IsNotFound(err) {
				return Principal{}, time.Time{}, queue.Errorf(protocol.CodeUnauthorized, "missing or invalid token")
			}
			return Principal{}, time.Time{}, err
		}
		if u.Disabled {
			return Principal{}, time.Time{}, queue.Errorf(protocol.CodeUnauthorized, "account disabled")
		}
		return Principal{Kind: "user", ID: u.ID, Name: u.Username, Role: u.Role, CounterIDs: u.CounterIDs, CSRF: sess.CSRF, TokenHash: h}, sess.ExpiresAt, nil
	} else if !queue.IsNotFound(err) {
		return Principal{}, time.Time{}, err
	}
	d, err := s.store.DeviceByTokenHash(ctx, h)
	if err == nil && !d.Revoked && subtle.ConstantTimeCompare(d.TokenHash, h) == 1 {
		return Principal{Kind: "device", ID: d.ID, Name: d.Name, Role: d.Kind, TokenHash: h}, time.Time{}, nil
	} else if err != nil && !queue.IsNotFound(err) {
		return Principal{}, time.Time{}, err
	}
	return Principal{}, time.Time{}, queue.Errorf(protocol.CodeUnauthorized, "missing or invalid token")
}

var usernamePattern = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{1,39}$`)

// UserInput is what an admin sets on a user.
type UserInput struct {
	Username   string   `json:"username"`
	Name       string   `json:"name"`
	Role       string   `json:"role"`
	Password   string   `json:"password,omitempty"`
	CounterIDs []string `json:"counter_ids"`
	Disabled   bool     `json:"disabled"`
}

// ValidatePassword enforces a minimum length; centres print nothing else.
func ValidatePassword(p string) error {
	if utf8.RuneCountInString(p) < 8 || len(p) > 72 {
		return queue.Errorf(protocol.CodeBadRequest, "password must be 8 to 72 bytes long")
	}
	return nil
}

// CreateUser adds a user with a bcrypt-hashed password.
func (s *Service) CreateUser(ctx context.Context, in UserInput) (User, error) {
	if !usernamePattern.MatchString(in.Username) {
		return User{}, queue.Errorf(protocol.CodeBadRequest, "username must be 2–40 lowercase letters, digits, dots, dashes or underscores")
	}
	if in.Role != protocol.RoleAdmin && in.Role != protocol.RoleSupervisor && in.Role != protocol.RoleClerk {
		return User{}, queue.Errorf(protocol.CodeBadRequest, "role must be admin, supervisor or clerk")
	}
	if err := ValidatePassword(in.Password); err != nil {
		return User{}, err
	}
	if utf8.RuneCountInString(in.Name) > 100 {
		return User{}, queue.Errorf(protocol.CodeBadRequest, "name is at most 100 characters")
	}
	h, err := bcrypt.GenerateFromPassword([]byte(in.Password), s.bcryptCost)
	if err != nil {
		return User{}, err
	}
	if in.CounterIDs == nil {
		in.CounterIDs = []string{}
	}
	u := User{ID: newID(), Username: in.Username, Name: in.Name, Role: in.Role, PasswordHash: string(h),
		CounterIDs: in.CounterIDs, Disabled: in.Disabled, CreatedAt: s.clock.Now()}
	if err := s.store.CreateUser(ctx, u); err != nil {
		return User{}, err
	}
	return u, nil
}

// SetPassword replaces a user's password.
func (s *Service) SetPassword(ctx context.Context, userID, password string) error {
	if err := ValidatePassword(password); err != nil {
		return err
	}
	u, err := s.store.UserByID(ctx, userID)
	if err != nil {
		return err
	}
	h, err := bcrypt.GenerateFromPassword([]byte(password), s.bcryptCost)
	if err != nil {
		return err
	}
	u.PasswordHash = string(h)
	defer s.Invalidate()
	return s.store.UpdateUser(ctx, u)
}

// CreateDevice registers a kiosk or display and returns its token, once.
func (s *Service) CreateDevice(ctx context.Context, req protocol.DeviceRequest) (protocol.Device, error) {
	if req.Kind != protocol.RoleKiosk && req.Kind != protocol.RoleDisplay {
		return protocol.Device{}, queue.Errorf(protocol.CodeBadRequest, "kind must be \"kiosk\" or \"display\"")
	}
	name := strings.TrimSpace(req.Name)
	if name == "" || utf8.RuneCountInString(name) > 100 {
		return protocol.Device{}, queue.Errorf(protocol.CodeBadRequest, "name is required (at most 100 characters)")
	}
	tok := NewToken()
	d := Device{Device: protocol.Device{ID: newID(), Kind: req.Kind, Name: name, Created: s.clock.Now()}, TokenHash: HashToken(tok)}
	if err := s.store.CreateDevice(ctx, d); err != nil {
		return protocol.Device{}, err
	}
	out := d.Device
	out.Token = tok
	return out, nil
}
