package announce

import (
	"strings"
	"unicode"

	"github.com/civiq/civiq/server/protocol"
)

// viLetter returns the clip and the Vietnamese name of letter r (either
// case). Clip names use the Telex keys every Vietnamese typist knows for the
// letters with marks: ă aw, â aa, đ dd, ê ee, ô oo, ơ ow, ư uw. Letters
// without a name (other scripts, letters with tone marks) are not read.
func viLetter(r rune) (clip, name string, ok bool) {
	var key string
	switch unicode.ToUpper(r) {
	case 'A':
		key, name = "a", "a"
	case 'Ă':
		key, name = "aw", "á"
	case 'Â':
		key, name = "aa", "ớ"
	case 'B':
		key, name = "b", "bê"
	case 'C':
		key, name = "c", "xê"
	case 'D':
		key, name = "d", "dê"
	case 'Đ':
		key, name = "dd", "đê"
	case 'E':
		key, name = "e", "e"
	case 'Ê':
		key, name = "ee", "ê"
	case 'F':
		key, name = "f", "ép"
	case 'G':
		key, name = "g", "giê"
	case 'H':
		key, name = "h", "hát"
	case 'I':
		key, name = "i", "i"
	case 'J':
		key, name = "j", "gi"
	case 'K':
		key, name = "k", "ca"
	case 'L':
		key, name = "l", "e-lờ"
	case 'M':
		key, name = "m", "em-mờ"
	case 'N':
		key, name = "n", "en-nờ"
	case 'O':
		key, name = "o", "o"
	case 'Ô':
		key, name = "oo", "ô"
	case 'Ơ':
		key, name = "ow", "ơ"
	case 'P':
		key, name = "p", "pê"
	case 'Q':
		key, name = "q", "quy"
	case 'R':
		key, name = "r", "e-rờ"
	case 'S':
		key, name = "s", "ét-xì"
	case 'T':
		key, name = "t", "tê"
	case 'U':
		key, name = "u", "u"
	case 'Ư':
		key, name = "uw", "ư"
	case 'V':
		key, name = "v", "vê"
	case 'W':
		key, name = "w", "vê-kép"
	case 'X':
		key, name = "x", "ích-xì"
	case 'Y':
		key, name = "y", "i-dài"
	case 'Z':
		key, name = "z", "dét"
	default:
		return "", "", false
	}
	return "vi/letter_" + key, name, true
}

// enLetter returns the English clip of letter r. The Vietnamese letters with
// marks are read as their base letter (Đ as D, Ư as U): English has no names
// for them, and the Vietnamese reading just before has told them apart.
func enLetter(r rune) (clip string, ok bool) {
	u := unicode.ToUpper(r)
	switch u {
	case 'Ă', 'Â':
		u = 'A'
	case 'Đ':
		u = 'D'
	case 'Ê':
		u = 'E'
	case 'Ô', 'Ơ':
		u = 'O'
	case 'Ư':
		u = 'U'
	}
	if u < 'A' || u > 'Z' {
		return "", false
	}
	return "en/letter_" + string(unicode.ToLower(u)), true
}

// unit is one spoken part of a ticket code: a letter, a number or a digit.
// Units are separated by a pause (clips) or a comma (text).
type unit struct {
	clips []string
	text  string
}

// maxNumberDigits is the longest digit run read as one number; a longer one
// (never a real ticket) is read digit by digit so that it cannot overflow.
const maxNumberDigits = 18

// codeUnits splits a ticket code into the units read in lang. Letters are
// read one by one; a run of digits is one number (mode protocol.ReadAsNumber,
// leading zeros dropped: "012" is twelve) or one unit per digit (mode
// protocol.ReadAsDigits). Any other character (a dash, a space) is skipped.
func codeUnits(code, mode, lang string) []unit {
	var units []unit
	rs := []rune(code)
	for i := 0; i < len(rs); i++ {
		r := rs[i]
		if r >= '0' && r <= '9' {
			j := i
			for j < len(rs) && rs[j] >= '0' && rs[j] <= '9' {
				j++
			}
			units = appendDigits(units, string(rs[i:j]), mode, lang)
			i = j - 1
			continue
		}
		if lang == protocol.LangEN {
			if clip, ok := enLetter(r); ok {
				units = append(units, unit{clips: []string{clip}, text: strings.TrimPrefix(clip, "en/letter_")})
			}
			continue
		}
		if clip, name, ok := viLetter(r); ok {
			units = append(units, unit{clips: []string{clip}, text: name})
		}
	}
	return units
}

func appendDigits(units []unit, digits, mode, lang string) []unit {
	significant := strings.TrimLeft(digits, "0")
	if mode != protocol.ReadAsDigits && len(significant) <= maxNumberDigits {
		var n uint64
		for _, d := range significant {
			n = n*10 + uint64(d-'0')
		}
		return append(units, numberUnit(n, lang))
	}
	for _, d := range digits {
		units = append(units, numberUnit(uint64(d-'0'), lang))
	}
	return units
}

// numberUnit is the reading of n in lang.
func numberUnit(n uint64, lang string) unit {
	if lang == protocol.LangEN {
		ws := enNumber(n)
		return unit{clips: enClips(ws), text: enText(ws)}
	}
	ws := viNumber(n)
	return unit{clips: viClips(ws), text: viText(ws)}
}

// ReadCode returns how ticket code is read in Vietnamese, units separated by
// commas: "A012" is "a, mười hai" when mode is protocol.ReadAsNumber (or
// empty, or unknown) and "a, không, một, hai" when mode is
// protocol.ReadAsDigits. Letters are read by their Vietnamese names
// ("B" bê, "C" xê, "Đ" đê, "G" giê, "H" hát); characters other than letters
// and digits are skipped.
func ReadCode(code, mode string) string {
	units := codeUnits(code, mode, protocol.LangVI)
	parts := make([]string, len(units))
	for i, u := range units {
		parts[i] = u.text
	}
	return strings.Join(parts, ", ")
}
