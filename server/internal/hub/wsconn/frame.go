// Package wsconn is the write side of the hub's server websocket
// connections: frames built by hand (RFC 6455, server to client, unmasked),
// a non-blocking write straight into the socket where the platform allows
// it, and the per-connection write state (in order, a bounded queue and a
// flusher goroutine only while the socket is full).
//
// It imports only the standard library, and knows nothing of events or
// subscriptions. Only server/internal/hub imports it; reading, the
// handshake (gorilla/websocket) and who receives what stay there.
package wsconn

import "encoding/binary"

// Opcodes of the frames a server sends (RFC 6455, section 5.2).
const (
	OpText  = 0x1
	OpClose = 0x8
	OpPing  = 0x9
	OpPong  = 0xA
)

// Close codes the hub sends (RFC 6455, section 7.4.1).
const (
	CloseNormalClosure    = 1000
	CloseGoingAway        = 1001
	CloseNoStatusReceived = 1005 // never sent: a close frame without a body
	ClosePolicyViolation  = 1008
	CloseMessageTooBig    = 1009
	CloseTryAgainLater    = 1013
)

// ReasonTooSlow is the close reason of a connection whose queue overflowed.
const ReasonTooSlow = "too slow"

// Frame builds a final, unmasked frame, as a server sends them: the header
// with the shortest length encoding, then the payload.
func Frame(op byte, payload []byte) []byte {
	n := len(payload)
	var b []byte
	switch {
	case n < 126:
		b = make([]byte, 2, 2+n)
		b[1] = byte(n)
	case n <= 0xFFFF:
		b = make([]byte, 4, 4+n)
		b[1] = 126
		binary.BigEndian.PutUint16(b[2:], uint16(n))
	default:
		b = make([]byte, 10, 10+n)
		b[1] = 127
		binary.BigEndian.PutUint64(b[2:], uint64(n))
	}
	b[0] = 0x80 | op
	return append(b, payload...)
}

// CloseFrame builds a close frame with code and reason (RFC 6455, section
// 5.5.1); CloseNoStatusReceived gives an empty body, since that code must
// not be sent.
func CloseFrame(code int, reason string) []byte {
	if code == CloseNoStatusReceived {
		return Frame(OpClose, nil)
	}
	body := make([]byte, 2, 2+len(reason))
	binary.BigEndian.PutUint16(body, uint16(code))
	return Frame(OpClose, append(body, reason...))
}
