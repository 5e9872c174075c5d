package wsconn

import (
	"bytes"
	"encoding/binary"
	"strings"
	"testing"

	"github.com/gorilla/websocket"
)

// TestFrameRFCExamples: the unmasked examples of RFC 6455, section 5.7,
// byte for byte (the binary ones with the text opcode, the only data frame
// the hub sends).
func TestFrameRFCExamples(t *testing.T) {
	hello := []byte("Hello")
	long := func(n int) []byte { return bytes.Repeat([]byte{'x'}, n) }
	for _, c := range []struct {
		name    string
		op      byte
		payload []byte
		header  []byte
	}{
		{"single-frame unmasked text", OpText, hello, []byte{0x81, 0x05}},
		{"unmasked ping", OpPing, hello, []byte{0x89, 0x05}},
		{"unmasked pong", OpPong, hello, []byte{0x8a, 0x05}},
		{"256 bytes, 16-bit length", OpText, long(256), []byte{0x81, 0x7E, 0x01, 0x00}},
		{"64 KiB, 64-bit length", OpText, long(65536), []byte{0x81, 0x7F, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00}},
		{"empty ping", OpPing, nil, []byte{0x89, 0x00}},
		{"125 bytes, 7-bit length", OpText, long(125), []byte{0x81, 0x7D}},
		{"126 bytes, 16-bit length", OpText, long(126), []byte{0x81, 0x7E, 0x00, 0x7E}},
		{"65535 bytes, 16-bit length", OpText, long(65535), []byte{0x81, 0x7E, 0xFF, 0xFF}},
	} {
		got := Frame(c.op, c.payload)
		want := append(append([]byte{}, c.header...), c.payload...)
		if !bytes.Equal(got, want) {
			n := min(len(got), 12)
			t.Errorf("%s: frame starts % x (%d bytes), want % x (%d bytes)", c.name, got[:n], len(got), c.header, len(want))
		}
		if got[1]&0x80 != 0 {
			t.Errorf("%s: a server frame must not be masked", c.name)
		}
	}
	if c := cap(Frame(OpText, long(300))); c != 304 {
		t.Errorf("a 300-byte frame allocates %d bytes, want 304 (one allocation)", c)
	}
}

// TestCloseFrame: the body is the code (big-endian) then the reason, as
// gorilla/websocket's FormatCloseMessage builds it; 1005 has no body.
func TestCloseFrame(t *testing.T) {
	for _, c := range []struct {
		code   int
		reason string
	}{
		{CloseNormalClosure, ""},
		{CloseGoingAway, "server shutting down"},
		{ClosePolicyViolation, "credential revoked"},
		{CloseTryAgainLater, ReasonTooSlow},
		{CloseNoStatusReceived, "ignored"},
	} {
		got := CloseFrame(c.code, c.reason)
		if want := Frame(OpClose, websocket.FormatCloseMessage(c.code, c.reason)); !bytes.Equal(got, want) {
			t.Errorf("close %d %q: % x, want % x", c.code, c.reason, got, want)
		}
	}
	got := CloseFrame(CloseGoingAway, "bye")
	if want := []byte{0x88, 0x05, 0x03, 0xE9, 'b', 'y', 'e'}; !bytes.Equal(got, want) {
		t.Errorf("close 1001 bye: % x, want % x", got, want)
	}
	if got := CloseFrame(CloseNoStatusReceived, "x"); !bytes.Equal(got, []byte{0x88, 0x00}) {
		t.Errorf("close 1005: % x, want 88 00", got)
	}
}

// parseFrames splits a stream of server frames, checking each is final
// and unmasked; it returns the opcodes and payloads and what is left over.
func parseFrames(t *testing.T, b []byte) (ops []byte, payloads [][]byte, rest []byte) {
	t.Helper()
	for len(b) >= 2 {
		if b[0]&0x80 == 0 || b[0]&0x70 != 0 || b[1]&0x80 != 0 {
			t.Fatalf("frame header % x: want FIN, no RSV bits, no mask", b[:2])
		}
		n, h := int(b[1]&0x7F), 2
		switch n {
		case 126:
			if len(b) < 4 {
				return ops, payloads, b
			}
			n, h = int(binary.BigEndian.Uint16(b[2:])), 4
		case 127:
			if len(b) < 10 {
				return ops, payloads, b
			}
			n, h = int(binary.BigEndian.Uint64(b[2:])), 10
		}
		if len(b) < h+n {
			return ops, payloads, b
		}
		ops = append(ops, b[0]&0x0F)
		payloads = append(payloads, b[h:h+n])
		b = b[h+n:]
	}
	return ops, payloads, b
}

func TestParseFramesRoundTrip(t *testing.T) {
	var stream []byte
	sizes := []int{0, 1, 125, 126, 127, 65535, 65536, 70000}
	for _, n := range sizes {
		stream = append(stream, Frame(OpText, []byte(strings.Repeat("a", n)))...)
	}
	ops, payloads, rest := parseFrames(t, stream)
	if len(rest) != 0 || len(ops) != len(sizes) {
		t.Fatalf("%d frames, %d bytes left", len(ops), len(rest))
	}
	for i, n := range sizes {
		if ops[i] != OpText || len(payloads[i]) != n {
			t.Errorf("frame %d: op %x, %d bytes; want text, %d", i, ops[i], len(payloads[i]), n)
		}
	}
}
