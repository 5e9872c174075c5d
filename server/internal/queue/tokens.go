package queue

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"strings"

	"github.com/civiq/civiq/server/protocol"
)

// ticketID returns a new random ticket id (128 bits, base32).
func ticketID() string { return strings.ToLower(rand.Text()) }

// TicketToken derives the ticket's bearer token from the store secret: 144
// bits of HMAC-SHA256, so tokens are unguessable and never need storing.
func TicketToken(secret []byte, id string) string {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte("ticket-token:" + id))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil)[:18])
}

// HashToken is the SHA-256 of a token, the only form tokens are stored in.
func HashToken(token string) []byte {
	h := sha256.Sum256([]byte(token))
	return h[:]
}

// TicketByToken returns the ticket holding token, with its current estimate.
func (e *Engine) TicketByToken(ctx context.Context, token string) (protocol.Ticket, error) {
	rec, err := e.ticketByTokenHash(ctx, HashToken(token))
	if err != nil {
		return protocol.Ticket{}, err
	}
	if err := e.withVisit(ctx, &rec); err != nil {
		return protocol.Ticket{}, err
	}
	rec.Note = "" // the clerk's note is not for the citizen's phone
	return e.view(rec), nil
}

func (e *Engine) ticketByTokenHash(ctx context.Context, h []byte) (TicketRecord, error) {
	rec, err := e.store.TicketByTokenHash(ctx, h)
	if IsNotFound(err) {
		return rec, Errorf(protocol.CodeNotFound, "unknown ticket")
	}
	return rec, err
}
