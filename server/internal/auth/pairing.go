package auth

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"math/big"
	"strings"
	"time"

	"github.com/civiq/civiq/server/internal/queue"
	"github.com/civiq/civiq/server/protocol"
)

// Pairing codes: an admin asks for a one-time code and types it on the new
// kiosk or display, which trades it for its device token (httpapi's
// pairing.go). The codes are PairDigits random digits, valid PairTTL, good
// for one device. Only their SHA-256 is stored, in the store (Store.
// PutPairing), so a code made through one server instance is redeemed
// through any other sharing the database, and survives a restart.

// PairTTL is how long a pairing code is valid.
const PairTTL = 10 * time.Minute

// PairDigits is the length of a pairing code.
const PairDigits = 8

// MaxPairings bounds the live codes (an admin clicking in a loop).
const MaxPairings = 100

// Pairing is a pending pairing code as stored.
type Pairing struct {
	// CodeHash is PairingHash of the code.
	CodeHash string
	Kind     string
	Name     string
	Expires  time.Time
}

// PairingHash is the stored form of a code (its digits).
func PairingHash(code string) string {
	h := sha256.Sum256([]byte("civiq-pair\x00" + code))
	return hex.EncodeToString(h[:])
}

// NewPairingCode makes a one-time code for a device of kind named name,
// valid PairTTL; a conflict error when MaxPairings codes are waiting.
func (a *Authority) NewPairingCode(ctx context.Context, kind, name string) (string, time.Time, error) {
	n, err := rand.Int(rand.Reader, big.NewInt(100_000_000))
	if err != nil {
		return "", time.Time{}, err
	}
	code := n.String()
	code = strings.Repeat("0", PairDigits-len(code)) + code
	now := a.clock.Now()
	exp := now.Add(PairTTL)
	if err := a.store.PutPairing(ctx, Pairing{CodeHash: PairingHash(code), Kind: kind, Name: name, Expires: exp}, now, MaxPairings); err != nil {
		if queue.CodeOf(err) == protocol.CodeConflict {
			return "", time.Time{}, queue.Errorf(protocol.CodeConflict, "too many pairing codes waiting; use or let some expire")
		}
		return "", time.Time{}, err
	}
	return code, exp, nil
}

// UsePairingCode takes code (its digits): the pairing if it is live; it is
// gone either way, on every instance.
func (a *Authority) UsePairingCode(ctx context.Context, code string) (Pairing, bool, error) {
	return a.store.TakePairing(ctx, PairingHash(code), a.clock.Now())
}
