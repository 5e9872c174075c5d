package httpapi

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"math/big"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/civiq/civiq/server/internal/auth"
	"github.com/civiq/civiq/server/protocol"
)

// Pairing: an admin asks for a one-time code (POST /api/v1/devices/pairing)
// and types it on the new kiosk or display ("kiosk pair CODE --server URL"),
// which trades it (POST /api/v1/pair, public) for its device token. Nobody
// copies a token by hand.
//
// The codes are 8 random digits, valid PairTTL (10 minutes), good for one
// device. Only their SHA-256 is kept, in this server's memory: a pending
// code is a short-lived secret, not state worth a table, and a restart
// drops the codes not yet used (the admin makes a new one). With several
// server instances the kiosk must reach the one that made the code (the
// admin page's instance). Guessing is bounded by the rate limit: 10 tries
// a minute per address against at most a few live codes in 10^8.

// PairTTL is how long a pairing code is valid.
const PairTTL = 10 * time.Minute

// pairDigits is the length of a pairing code.
const pairDigits = 8

// maxPending bounds the live codes (an admin clicking in a loop).
const maxPending = 100

// pairing is a code waiting to be used.
type pairing struct {
	kind, name string
	expires    time.Time
}

// pairings are the live codes by hash, and the limiter of guesses.
type pairings struct {
	lim *limiter

	mu    sync.Mutex
	codes map[string]pairing
}

func newPairings(perMinute float64) *pairings {
	return &pairings{lim: newLimiter(perMinute/60, 10), codes: map[string]pairing{}}
}

// hashCode is the stored form of a code (digits only).
func hashCode(code string) string {
	h := sha256.Sum256([]byte("civiq-pair\x00" + code))
	return hex.EncodeToString(h[:])
}

// normCode keeps the digits of what was typed ("1234 5678", "1234-5678").
func normCode(s string) (string, bool) {
	var b strings.Builder
	for _, r := range s {
		switch {
		case r >= '0' && r <= '9':
			b.WriteRune(r)
		case r == ' ' || r == '-' || r == '.':
		default:
			return "", false
		}
	}
	return b.String(), b.Len() == pairDigits
}

// newCode makes a code for kind and name valid until now+PairTTL.
func (p *pairings) newCode(now time.Time, kind, name string) (string, time.Time, error) {
	n, err := rand.Int(rand.Reader, big.NewInt(100_000_000))
	if err != nil {
		return "", time.Time{}, err
	}
	code := n.String()
	code = strings.Repeat("0", pairDigits-len(code)) + code
	exp := now.Add(PairTTL)
	p.mu.Lock()
	defer p.mu.Unlock()
	for h, c := range p.codes {
		if !now.Before(c.expires) {
			delete(p.codes, h)
		}
	}
	if len(p.codes) >= maxPending {
		return "", time.Time{}, errf(protocol.CodeConflict, "too many pairing codes waiting; use or let some expire")
	}
	p.codes[hashCode(code)] = pairing{kind: kind, name: name, expires: exp}
	return code, exp, nil
}

// take uses code: its pairing if it is live, and it is gone either way.
func (p *pairings) take(now time.Time, code string) (pairing, bool) {
	h := hashCode(code)
	p.mu.Lock()
	defer p.mu.Unlock()
	var found pairing
	var ok bool
	for k, c := range p.codes {
		// Constant time over the stored hashes: the hashes are not secret,
		// but there is no reason to leak timing either.
		if subtle.ConstantTimeCompare([]byte(k), []byte(h)) == 1 {
			found, ok = c, true
		}
	}
	if !ok {
		return pairing{}, false
	}
	delete(p.codes, h)
	if !now.Before(found.expires) {
		return pairing{}, false
	}
	return found, true
}

// createPairing makes a one-time code for a new device (admin).
func (s *Server) createPairing(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	var req protocol.DeviceRequest
	if err := decode(w, r, &req); err != nil {
		return err
	}
	if req.Kind != protocol.RoleKiosk && req.Kind != protocol.RoleDisplay {
		return errf(protocol.CodeBadRequest, "kind must be \"kiosk\" or \"display\"")
	}
	name := strings.TrimSpace(req.Name)
	if name == "" || len(name) > 200 {
		return errf(protocol.CodeBadRequest, "name is required (at most 200 bytes)")
	}
	code, exp, err := s.pairs.newCode(s.clock.Now(), req.Kind, name)
	if err != nil {
		return err
	}
	s.recordChange(r.Context(), p, "device.pairing", "", nil, map[string]any{"kind": req.Kind, "name": name, "expires_at": exp}, "")
	writeJSON(w, http.StatusCreated, protocol.PairingCode{Code: code, Kind: req.Kind, Name: name, ExpiresAt: exp})
	return nil
}

// pair trades a pairing code for a new device and its token (anyone
// holding a live code; rate limited per address).
func (s *Server) pair(w http.ResponseWriter, r *http.Request, _ auth.Principal) error {
	if ok, wait := s.pairs.lim.take(clientIP(r, s.opts.TrustProxy)); !ok {
		return tooMany(wait, "too many pairing attempts; try again in %s", retryAfter(wait)+" s")
	}
	var req protocol.PairRequest
	if err := decode(w, r, &req); err != nil {
		return err
	}
	code, ok := normCode(req.Code)
	if !ok {
		return errf(protocol.CodeBadRequest, "code must be %d digits", pairDigits)
	}
	pr, ok := s.pairs.take(s.clock.Now(), code)
	if !ok {
		return errf(protocol.CodeUnauthorized, "unknown, used or expired pairing code")
	}
	d, err := s.auth.CreateDevice(r.Context(), protocol.DeviceRequest{Kind: pr.kind, Name: pr.name})
	if err != nil {
		return err
	}
	s.recordChange(r.Context(), auth.Principal{Kind: "device", ID: d.ID, Name: d.Name, Role: d.Kind}, "device.create", d.ID, nil,
		map[string]any{"kind": d.Kind, "name": d.Name, "paired": true}, "")
	s.hub.DeviceChanged(protocol.DeviceChange{ID: d.ID, Change: protocol.DeviceCreated})
	writeJSON(w, http.StatusCreated, d)
	return nil
}
