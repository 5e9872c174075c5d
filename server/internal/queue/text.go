package queue

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/civiq/civiq/server/protocol"
)

// Length limits of admin-entered texts, in characters.
const (
	// MaxName bounds names: the centre, fields, field groups, counters.
	MaxName = 120
	// MaxNotice bounds the display's notice line.
	MaxNotice = 500
)

// AdminText is the one rule for every text an admin types (centre, field,
// counter, device and user names, the notice): valid UTF-8, trimmed, no
// control characters and no bidirectional overrides or isolates (which
// could make "A012" read as "210A" on a display), at most max characters,
// and not empty when required. It returns the cleaned text, or a 400 error
// whose message starts with the field's name.
func AdminText(field, s string, max int, required bool) (string, error) {
	if !utf8.ValidString(s) {
		return s, Errorf(protocol.CodeBadRequest, "%s: not valid UTF-8 text", field)
	}
	s = strings.TrimSpace(s)
	if required && s == "" {
		return s, Errorf(protocol.CodeBadRequest, "%s: is required", field)
	}
	if n := utf8.RuneCountInString(s); n > max {
		return s, Errorf(protocol.CodeBadRequest, "%s: at most %d characters (got %d)", field, max, n)
	}
	for _, r := range s {
		if unicode.IsControl(r) || isBidiControl(r) {
			return s, Errorf(protocol.CodeBadRequest, "%s: control or text-direction characters (U+%04X) are not allowed", field, r)
		}
	}
	return s, nil
}

// isBidiControl reports the embedding, override and isolate controls
// (U+202A–U+202E, U+2066–U+2069); the plain marks LRM/RLM are harmless.
func isBidiControl(r rune) bool {
	return r >= 0x202A && r <= 0x202E || r >= 0x2066 && r <= 0x2069
}

// AdminTextI18n applies AdminText to both languages of t: field.vi (required
// when required) and field.en (optional).
func AdminTextI18n(field string, t protocol.Text, max int, required bool) (protocol.Text, error) {
	vi, err := AdminText(field+".vi", t.Vi, max, required)
	if err != nil {
		return t, err
	}
	en, err := AdminText(field+".en", t.En, max, false)
	if err != nil {
		return t, err
	}
	return protocol.Text{Vi: vi, En: en}, nil
}
