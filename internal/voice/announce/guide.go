package announce

import (
	"strings"

	"github.com/civiq/civiq/server/protocol"
)

// Clips of the kiosk's spoken guidance.
const (
	// ClipViNumber says "Số" (number), before a choice's key.
	ClipViNumber = "vi/so"
	// ClipViYourNumber says "Số của bạn là" (your number is).
	ClipViYourNumber = "vi/so_cua_ban_la"
	// ClipEnYourNumber says "Your number is".
	ClipEnYourNumber = "en/your_number_is"
)

// Part is one piece of a spoken guidance: a clip, or a text that has no
// clip (a field's name: any text a centre typed in /admin), which a player
// with a speech synthesizer speaks in Lang and a player without one leaves
// out.
type Part struct {
	Clip string `json:"clip,omitempty"`
	Text string `json:"text,omitempty"`
	Lang string `json:"lang,omitempty"`
}

// Choice is one choice on the kiosk's screen: its key on the numeric
// keypad (1, 2, …) and its name in the language shown.
type Choice struct {
	Key  int
	Name string
}

// Guide returns the reading of the choices on a kiosk screen in lang
// (protocol.LangVI unless protocol.LangEN), one after the other:
//
//	vi/so KEY (text NAME) pause pause   — "Số 1: Đất đai. Số 2: …"
//	en/number KEY (text NAME) pause pause — "Number 1: Land. …"
//
// KEY is read as a number; NAME is a text part. Choices with no key
// (Key <= 0) are read by name only; empty names are left out.
func Guide(choices []Choice, lang string) []Part {
	if lang != protocol.LangEN {
		lang = protocol.LangVI
	}
	number := ClipViNumber
	if lang == protocol.LangEN {
		number = ClipEnCall
	}
	var parts []Part
	for _, c := range choices {
		name := strings.Join(strings.Fields(c.Name), " ")
		if c.Key <= 0 && name == "" {
			continue
		}
		if c.Key > 0 {
			parts = append(parts, Part{Clip: number})
			for _, clip := range numberUnit(uint64(c.Key), lang).clips {
				parts = append(parts, Part{Clip: clip})
			}
		}
		if name != "" {
			parts = append(parts, Part{Clip: ClipPause}, Part{Text: name, Lang: lang})
		}
		parts = append(parts, Part{Clip: ClipPause}, Part{Clip: ClipPause})
	}
	return parts
}

// Issued returns the clips that tell the citizen the number just printed:
// "Số của bạn là A012" (vi/so_cua_ban_la, then the code read as ReadCode
// reads it in mode, a pause between units), or in English "Your number is
// A012".
func Issued(code, mode, lang string) []string {
	first := ClipViYourNumber
	if lang == protocol.LangEN {
		first = ClipEnYourNumber
	} else {
		lang = protocol.LangVI
	}
	s := []string{first}
	for i, u := range codeUnits(code, mode, lang) {
		if i > 0 {
			s = append(s, ClipPause)
		}
		s = append(s, u.clips...)
	}
	return s
}

// ClipParts wraps clips as parts.
func ClipParts(clips []string) []Part {
	parts := make([]Part, len(clips))
	for i, c := range clips {
		parts[i] = Part{Clip: c}
	}
	return parts
}
