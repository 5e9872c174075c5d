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

// AuditEntry records an administrative action: who (Actor, a username or
// "command line"), when, from where (IP), what (Action such as
// "counter.put" on Subject, the id of the thing changed) and the value of
// every changed field before and after.
type AuditEntry struct {
	ID      int64     `json:"id"`
	At      time.Time `json:"at"`
	Actor   string    `json:"actor"`
	Action  string    `json:"action"`
	Detail  string    `json:"detail"`
	IP      string    `json:"ip"`
	Subject string    `json:"subject"`
	Changes []Change  `json:"changes"`
}

// Change is one field's value before and after an administrative change;
// nil stands for absent (a created or removed thing). Secrets such as
// passwords are recorded as "(changed)", never their value.
type Change struct {
	Field  string `json:"field"`
	Before any    `json:"before"`
	After  any    `json:"after"`
}

// AuditFilter selects audit entries, newest first.
type AuditFilter struct {
	// Limit is the most entries returned.
	Limit int
	// Actor keeps the entries of one username ("" for all).
	Actor string
	// Kind keeps one kind of action: "counter" matches "counter.put" ("" for all).
	Kind string
}

// Store keeps users, sessions, devices and the audit log. Writes are durable
// when they return.
type Store interface {
	CreateUser(ctx context.Context, u User) error
	// UpdateUser stores u; it refuses (ErrLastAdmin, changing nothing) to
	// demote or disable the last enabled admin, decided in its
	// transaction so that it holds across server instances.
	UpdateUser(ctx context.Context, u User) error
	UserByName(ctx context.Context, username string) (User, error)
	UserByID(ctx context.Context, id string) (User, error)
	Users(ctx context.Context) ([]User, error)
	CountUsers(ctx context.Context) (int, error)

	CreateSession(ctx context.Context, s Session) error
	Session(ctx context.Context, tokenHash []byte) (Session, error)
	DeleteSession(ctx context.Context, tokenHash []byte) error
	// DeleteUserSessions ends every session of a user except keep (nil: none).
	DeleteUserSessions(ctx context.Context, userID string, keep []byte) error
	DeleteExpiredSessions(ctx context.Context, now time.Time) error

	CreateDevice(ctx context.Context, d Device) error
	DeviceByTokenHash(ctx context.Context, tokenHash []byte) (Device, error)
	Devices(ctx context.Context) ([]Device, error)
	TouchDevice(ctx context.Context, id string, at time.Time, status *protocol.DeviceStatus) error
	RevokeDevice(ctx context.Context, id string) error

	AddAudit(ctx context.Context, e AuditEntry) error
	Audit(ctx context.Context, f AuditFilter) ([]AuditEntry, error)

	// PutPairing stores a pending pairing code, first deleting the codes
	// expired at now; a protocol.CodeConflict error when max live codes
	// are stored already (counted atomically, across server instances)
	// or the hash is taken.
	PutPairing(ctx context.Context, p Pairing, now time.Time, max int) error
	// TakePairing deletes the code with hash and returns it when it was
	// live at now (ok false when unknown, already used or expired): each
	// code is used once, even when two instances race for it.
	TakePairing(ctx context.Context, hash string, now time.Time) (p Pairing, ok bool, err error)
}

// KindProvince is the Kind of a province account acting in a centre
// (SetOutside).
const KindProvince = "province"

// Principal is who made a request.
type Principal struct {
	// Kind is "user", "device" or KindProvince.
	Kind       string
	ID         string
	Name       string
	Role       string
	CounterIDs []string
	// CSRF is the session's CSRF token (users only).
	CSRF string
	// TokenHash identifies the session or device token used.
	TokenHash []byte
	// Expires is when the session ends (zero for devices).
	Expires time.Time
}

// Keys name the credentials p stands on, for Revoked: its token and its
// user or device. A websocket is closed when any of its keys is revoked.
func (p Principal) Keys() []string {
	if p.Kind == "" {
		return nil
	}
	if p.Kind == KindProvince {
		// Not "token:": Recheck looks those up in this centre's storage,
		// which does not hold a province session.
		return []string{"province-" + TokenKey(p.TokenHash), p.Kind + ":" + p.ID}
	}
	return []string{TokenKey(p.TokenHash), p.Kind + ":" + p.ID}
}

// TokenKey names one session or device token (by its hash).
func TokenKey(hash []byte) string { return "token:" + base64.RawURLEncoding.EncodeToString(hash) }

// UserKey names every session of a user.
func UserKey(id string) string { return "user:" + id }

// DeviceKey names a device's token.
func DeviceKey(id string) string { return "device:" + id }

// Revoker is told the key of credentials that stopped working, so that
// whatever holds them open (websockets) lets go at once; holders that also
// have the key except (when not empty) are spared.
type Revoker func(key, except string)

// Is reports whether the principal has one of roles.
func (p Principal) Is(roles ...string) bool { return slices.Contains(roles, p.Role) }

// Serves reports whether the principal may act for counter id: admins for
// every counter, clerks for theirs.
func (p Principal) Serves(counterID string) bool {
	return p.Role == protocol.RoleAdmin || p.Role == protocol.RoleClerk && slices.Contains(p.CounterIDs, counterID)
}

// Authority implements logins, token checks and account management.
type Authority struct {
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
	// from storage on every request. Changes made through this Authority
	// clear it at once; changes made by another server instance take
	// effect within cacheTTL.
	mu    sync.Mutex
	cache map[string]cachedPrincipal
	// gen counts invalidations: a lookup that raced with one is not cached.
	gen uint64

	// users serialises account changes, so that two admins demoting each
	// other cannot both pass the last-admin check.
	users sync.Mutex

	revokeMu sync.Mutex
	revoker  Revoker

	// outside resolves the tokens of another authority (a province's
	// accounts acting in this centre): tokens starting with outsidePrefix
	// never reach this authority's storage. Set once before serving.
	outside        OutsideResolver
	outsidePrefix  string
	outsideRecheck OutsideRecheck
}

// OutsideRecheck reports whether an outside token (by its hash) still
// works, for Recheck of open websockets.
type OutsideRecheck func(ctx context.Context, tokenHash []byte) (bool, error)

// OutsideResolver resolves a token this authority does not issue (a
// province session acting in a centre) to a principal with its expiry.
type OutsideResolver func(ctx context.Context, token string) (Principal, error)

// SetOutside makes tokens starting with prefix resolve through r instead
// of this authority's storage, and Recheck ask check about their
// websockets. Call it once, before serving.
func (s *Authority) SetOutside(prefix string, r OutsideResolver, check OutsideRecheck) {
	s.outsidePrefix, s.outside, s.outsideRecheck = prefix, r, check
}

type cachedPrincipal struct {
	p       Principal
	until   time.Time // cache entry expiry
	expires time.Time // session expiry (zero for devices)
}

// cacheTTL bounds how long a revoked token may still work on another
// instance of a scaled-out server.
const cacheTTL = 10 * time.Second

// SetRevoker sets who is told about revoked credentials (the websocket hub).
func (s *Authority) SetRevoker(r Revoker) {
	s.revokeMu.Lock()
	s.revoker = r
	s.revokeMu.Unlock()
}

// revoke forgets cached tokens and tells the revoker: after it returns, no
// request and no websocket runs on the keys' credentials any more.
func (s *Authority) revoke(key, except string) {
	s.Invalidate()
	s.revokeMu.Lock()
	r := s.revoker
	s.revokeMu.Unlock()
	if r != nil {
		r(key, except)
	}
}

// RevokeDevice revokes a device token; it stops working at once here,
// open websockets included.
func (s *Authority) RevokeDevice(ctx context.Context, id string) error {
	if err := s.store.RevokeDevice(ctx, id); err != nil {
		return err
	}
	s.revoke(DeviceKey(id), "")
	return nil
}

// Recheck looks a credential key ("token:…", see TokenKey) up in storage,
// bypassing the cache, and reports whether it still works. Changes made
// outside this process (server user, another instance) reach open
// websockets this way.
func (s *Authority) Recheck(ctx context.Context, key string) (bool, error) {
	if enc, ok := strings.CutPrefix(key, "province-token:"); ok && s.outsideRecheck != nil {
		h, err := base64.RawURLEncoding.DecodeString(enc)
		if err != nil {
			return false, nil
		}
		return s.outsideRecheck(ctx, h)
	}
	enc, ok := strings.CutPrefix(key, "token:")
	if !ok {
		return true, nil
	}
	h, err := base64.RawURLEncoding.DecodeString(enc)
	if err != nil {
		return false, nil
	}
	_, _, err = s.lookup(ctx, h)
	if queue.CodeOf(err) == protocol.CodeUnauthorized {
		s.mu.Lock()
		delete(s.cache, string(h))
		s.mu.Unlock()
		return false, nil
	}
	return err == nil, err
}

// Invalidate forgets every cached token, after a revocation, a disabled
// account or a changed role.
func (s *Authority) Invalidate() {
	s.mu.Lock()
	clear(s.cache)
	s.gen++
	s.mu.Unlock()
}

// DefaultSessionTTL is how long a login lasts: one working day and a bit.
const DefaultSessionTTL = 14 * time.Hour

// NewAuthority returns the authority. bcryptCost 0 means bcrypt.DefaultCost;
// tests lower it because the race detector makes bcrypt very slow.
func NewAuthority(store Store, clock queue.Clock, sessionTTL time.Duration, bcryptCost int) *Authority {
	if sessionTTL <= 0 {
		sessionTTL = DefaultSessionTTL
	}
	if bcryptCost == 0 {
		bcryptCost = bcrypt.DefaultCost
	}
	s := &Authority{store: store, clock: clock, sessionTTL: sessionTTL, bcryptCost: bcryptCost, cache: map[string]cachedPrincipal{}}
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
func (s *Authority) Login(ctx context.Context, username, password string) (string, Session, User, error) {
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

// Logout ends the session of token, its open websockets included.
func (s *Authority) Logout(ctx context.Context, token string) error {
	h := HashToken(token)
	if err := s.store.DeleteSession(ctx, h); err != nil {
		return err
	}
	s.revoke(TokenKey(h), "")
	return nil
}

// Authenticate resolves a session or device token to a principal.
func (s *Authority) Authenticate(ctx context.Context, token string) (Principal, error) {
	if token == "" || len(token) > 200 {
		return Principal{}, queue.Errorf(protocol.CodeUnauthorized, "missing or invalid token")
	}
	if s.outside != nil && strings.HasPrefix(token, s.outsidePrefix) {
		// Not cached here: the province's logout or disable takes
		// effect at once in every centre.
		return s.outside(ctx, token)
	}
	h := HashToken(token)
	now := s.clock.Now()
	s.mu.Lock()
	c, ok := s.cache[string(h)]
	gen := s.gen
	s.mu.Unlock()
	if ok && now.Before(c.until) && (c.expires.IsZero() || now.Before(c.expires)) {
		return c.p, nil
	}
	p, expires, err := s.lookup(ctx, h)
	if err != nil {
		return p, err
	}
	p.Expires = expires
	s.mu.Lock()
	if len(s.cache) > 50000 {
		clear(s.cache) // bounded; refills from storage
	}
	// A revocation that happened during the lookup may have read the old
	// state: such a result is used once but not remembered.
	if s.gen == gen {
		s.cache[string(h)] = cachedPrincipal{p: p, until: now.Add(cacheTTL), expires: expires}
	}
	s.mu.Unlock()
	return p, nil
}

// lookup resolves a token hash from storage.
func (s *Authority) lookup(ctx context.Context, h []byte) (Principal, time.Time, error) {
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

// UserRoles are the roles a user account may have. Role checks elsewhere
// are tables of these (httpapi/routes.go), so a new role is one entry here
// and one per route table that admits it.
var UserRoles = []string{protocol.RoleAdmin, protocol.RoleSupervisor, protocol.RoleClerk}

// MaxUserName bounds a user's display name.
const MaxUserName = 120

func checkRole(role string) error {
	if !slices.Contains(UserRoles, role) {
		return queue.Errorf(protocol.CodeBadRequest, "role must be one of %s", strings.Join(UserRoles, ", "))
	}
	return nil
}

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
func (s *Authority) CreateUser(ctx context.Context, in UserInput) (User, error) {
	if !usernamePattern.MatchString(in.Username) {
		return User{}, queue.Errorf(protocol.CodeBadRequest, "username must be 2–40 lowercase letters, digits, dots, dashes or underscores")
	}
	if err := checkRole(in.Role); err != nil {
		return User{}, err
	}
	if err := ValidatePassword(in.Password); err != nil {
		return User{}, err
	}
	name, err := queue.AdminText("name", in.Name, MaxUserName, false)
	if err != nil {
		return User{}, err
	}
	h, err := bcrypt.GenerateFromPassword([]byte(in.Password), s.bcryptCost)
	if err != nil {
		return User{}, err
	}
	if in.CounterIDs == nil {
		in.CounterIDs = []string{}
	}
	u := User{ID: newID(), Username: in.Username, Name: name, Role: in.Role, PasswordHash: string(h),
		CounterIDs: in.CounterIDs, Disabled: in.Disabled, CreatedAt: s.clock.Now()}
	if err := s.store.CreateUser(ctx, u); err != nil {
		return User{}, err
	}
	return u, nil
}

// SetPassword replaces a user's password and ends every session of the
// user: whoever knew the old password is signed out at once.
func (s *Authority) SetPassword(ctx context.Context, userID, password string) error {
	_, _, err := s.UpdateUser(ctx, userID, UserPatch{Password: &password}, nil)
	return err
}

// UserPatch is a partial change of a user; nil fields stay as they are.
type UserPatch struct {
	Name       *string   `json:"name"`
	Role       *string   `json:"role"`
	Password   *string   `json:"password"`
	CounterIDs *[]string `json:"counter_ids"`
	Disabled   *bool     `json:"disabled"`
}

// ErrLastAdmin refuses a change that would leave no enabled admin.
var ErrLastAdmin = queue.Errorf(protocol.CodeConflict,
	"this is the last enabled admin: make another user admin first (or use \"server user\" on the server machine)")

// UpdateUser applies a patch to user id and returns the user before and
// after. A new password or a disabled account ends every session of the
// user (keep, the session making the change, survives a change of one's
// own password); re-enabling revives none. The last enabled admin can be
// neither demoted nor disabled.
func (s *Authority) UpdateUser(ctx context.Context, id string, in UserPatch, keep []byte) (before, after User, err error) {
	s.users.Lock()
	defer s.users.Unlock()
	u, err := s.store.UserByID(ctx, id)
	if err != nil {
		if queue.IsNotFound(err) {
			return u, u, queue.Errorf(protocol.CodeNotFound, "unknown user")
		}
		return u, u, err
	}
	before = u
	if in.Role != nil {
		if err := checkRole(*in.Role); err != nil {
			return before, u, err
		}
		u.Role = *in.Role
	}
	if in.Name != nil {
		n, err := queue.AdminText("name", *in.Name, MaxUserName, false)
		if err != nil {
			return before, u, err
		}
		u.Name = n
	}
	if in.CounterIDs != nil {
		u.CounterIDs = *in.CounterIDs
	}
	if in.Disabled != nil {
		u.Disabled = *in.Disabled
	}
	if in.Password != nil {
		if err := ValidatePassword(*in.Password); err != nil {
			return before, u, err
		}
		h, err := bcrypt.GenerateFromPassword([]byte(*in.Password), s.bcryptCost)
		if err != nil {
			return before, u, err
		}
		u.PasswordHash = string(h)
	}
	wasAdmin := before.Role == protocol.RoleAdmin && !before.Disabled
	if wasAdmin && (u.Role != protocol.RoleAdmin || u.Disabled) {
		n, err := s.enabledAdmins(ctx)
		if err != nil {
			return before, u, err
		}
		if n <= 1 {
			return before, u, ErrLastAdmin
		}
	}
	if err := s.store.UpdateUser(ctx, u); err != nil {
		return before, u, err
	}
	// Re-enabling ends sessions too: any left from before the disable
	// (made by an older version, or racing with it) must not come back.
	endSessions := in.Password != nil || u.Disabled != before.Disabled
	if endSessions {
		if u.Disabled != before.Disabled {
			keep = nil
		}
		if err := s.store.DeleteUserSessions(ctx, u.ID, keep); err != nil {
			return before, u, err
		}
	}
	switch {
	case endSessions && keep == nil:
		s.revoke(UserKey(u.ID), "")
	case endSessions:
		s.revoke(UserKey(u.ID), TokenKey(keep))
	default:
		s.Invalidate() // a new role or counters apply to the next request
	}
	return before, u, nil
}

// enabledAdmins counts the enabled admin accounts.
func (s *Authority) enabledAdmins(ctx context.Context) (int, error) {
	us, err := s.store.Users(ctx)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, u := range us {
		if u.Role == protocol.RoleAdmin && !u.Disabled {
			n++
		}
	}
	return n, nil
}

// MaxDeviceName bounds a device's name.
const MaxDeviceName = 120

// CreateDevice registers a kiosk, display or integration and returns its
// token, once.
func (s *Authority) CreateDevice(ctx context.Context, req protocol.DeviceRequest) (protocol.Device, error) {
	if req.Kind != protocol.RoleKiosk && req.Kind != protocol.RoleDisplay && req.Kind != protocol.RoleIntegration {
		return protocol.Device{}, queue.Errorf(protocol.CodeBadRequest, "kind must be \"kiosk\", \"display\" or \"integration\"")
	}
	name, err := queue.AdminText("name", req.Name, MaxDeviceName, true)
	if err != nil {
		return protocol.Device{}, err
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
