package httpapi

import (
	"net/http"
	"strings"

	"github.com/civiq/civiq/server/internal/auth"
	"github.com/civiq/civiq/server/protocol"
)

// Pairing: an admin asks for a one-time code (POST /api/v1/devices/pairing)
// and types it on the new kiosk or display ("kiosk pair CODE --server URL"),
// which trades it (POST /api/v1/pair, public) for its device token. Nobody
// copies a token by hand.
//
// The codes are 8 random digits, valid auth.PairTTL (10 minutes), good for
// one device. Only their SHA-256 is kept, in the store (auth/pairing.go),
// so a code made through one server instance is redeemed through any
// other on the same database. Guessing is bounded by the rate limit: 10
// tries a minute per address (shared by the instances on PostgreSQL)
// against at most a few live codes in 10^8.

// pairings is the limiter of guesses.
type pairings struct {
	lim *limiter
}

func newPairings(perMinute float64) *pairings {
	return &pairings{lim: newLimiter(perMinute/60, 10)}
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
	return b.String(), b.Len() == auth.PairDigits
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
	code, exp, err := s.auth.NewPairingCode(r.Context(), req.Kind, name)
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
	if ok, wait := s.pairs.lim.takeShared(r.Context(), clientIP(r, s.opts.TrustProxy)); !ok {
		return tooMany(wait, "too many pairing attempts; try again in %s", retryAfter(wait)+" s")
	}
	var req protocol.PairRequest
	if err := decode(w, r, &req); err != nil {
		return err
	}
	code, ok := normCode(req.Code)
	if !ok {
		return errf(protocol.CodeBadRequest, "code must be %d digits", auth.PairDigits)
	}
	pr, ok, err := s.auth.UsePairingCode(r.Context(), code)
	if err != nil {
		return err
	}
	if !ok {
		return errf(protocol.CodeUnauthorized, "unknown, used or expired pairing code")
	}
	d, err := s.auth.CreateDevice(r.Context(), protocol.DeviceRequest{Kind: pr.Kind, Name: pr.Name})
	if err != nil {
		return err
	}
	s.recordChange(r.Context(), auth.Principal{Kind: "device", ID: d.ID, Name: d.Name, Role: d.Kind}, "device.create", d.ID, nil,
		map[string]any{"kind": d.Kind, "name": d.Name, "paired": true}, "")
	s.hub.DeviceChanged(protocol.DeviceChange{ID: d.ID, Change: protocol.DeviceCreated})
	writeJSON(w, http.StatusCreated, d)
	return nil
}
