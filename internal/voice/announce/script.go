package announce

import (
	"strconv"

	"github.com/civiq/civiq/server/protocol"
)

// Clips that are not words of a number or letters.
const (
	// ClipChime is the two-tone chime that opens a full call-out.
	ClipChime = "chime"
	// ClipPause is a short silence between the parts of a call-out; it is a
	// clip so that a centre can tune the pace by replacing it.
	ClipPause = "pause"

	// ClipViCall says "Mời công dân có số" (will the citizen with number).
	ClipViCall = "vi/moi_cong_dan_co_so"
	// ClipViCounter says "đến quầy số" (come to counter number).
	ClipViCounter = "vi/den_quay_so"
	// ClipViRecall says "Xin nhắc lại" (once again) before a recall.
	ClipViRecall = "vi/xin_nhac_lai"

	// ClipEnCall says "Number".
	ClipEnCall = "en/number"
	// ClipEnCounter says "please go to counter".
	ClipEnCounter = "en/please_go_to_counter"
	// ClipEnRecall says "Calling again" before a recall.
	ClipEnRecall = "en/calling_again"
)

// ClipFile returns the file of clip name inside assets.FS ("sounds/vi/muoi.wav").
// Below a sounds folder (a centre's override folder, the web path
// /assets/sounds/) the file is name + ".wav".
func ClipFile(name string) string {
	return "sounds/" + name + ".wav"
}

// Options say how calls are read.
type Options struct {
	// ReadNumbers is protocol.ReadAsNumber ("A012": a, mười hai) or
	// protocol.ReadAsDigits (a, không, một, hai); empty or unknown reads as
	// a number. It comes from the centre settings (Centre.ReadNumbers).
	ReadNumbers string
	// English adds the English call-out after the Vietnamese one. A ticket
	// issued in English (Ticket.Lang "en") gets it anyway: its holder chose
	// English at the kiosk.
	English bool
	// Short leaves out the chime and the English call-out. The Announcer sets
	// it when calls pile up.
	Short bool
}

// Script returns the clips that speak call c, in order:
//
//	[chime] [vi/xin_nhac_lai pause] vi/moi_cong_dan_co_so CODE [pause vi/den_quay_so COUNTER]
//	[pause pause [en/calling_again pause] en/number CODE [pause en/please_go_to_counter COUNTER]]
//
// The chime is left out when o.Short; "xin nhắc lại" / "calling again" come
// only on a recall (c.Recall); the English part only when o.English or the
// ticket was issued in English (Ticket.Lang "en"), and never when o.Short.
// CODE is the ticket code read as ReadCode does, one pause between units;
// COUNTER is the counter number read as a number. A counter without a number
// (Number <= 0) leaves out the counter phrase and its pause; a ticket without
// a code is read by its number.
//
// For "A012" at counter 5: chime, vi/moi_cong_dan_co_so, vi/letter_a, pause,
// vi/muoi, vi/hai, pause, vi/den_quay_so, vi/nam.
func Script(c protocol.Call, o Options) []string {
	code := c.Ticket.Code
	if code == "" && c.Ticket.Number > 0 {
		code = strconv.Itoa(c.Ticket.Number)
	}
	english := !o.Short && (o.English || c.Ticket.Lang == protocol.LangEN)

	var s []string
	if !o.Short {
		s = append(s, ClipChime)
	}
	s = appendCallout(s, code, c.Counter.Number, c.Recall, o.ReadNumbers, protocol.LangVI)
	if english {
		// Two pauses: the switch of language needs a longer breath than a
		// comma.
		s = append(s, ClipPause, ClipPause)
		s = appendCallout(s, code, c.Counter.Number, c.Recall, o.ReadNumbers, protocol.LangEN)
	}
	return s
}

// appendCallout appends the call-out in one language.
func appendCallout(s []string, code string, counter int, recall bool, mode, lang string) []string {
	call, toCounter, again := ClipViCall, ClipViCounter, ClipViRecall
	if lang == protocol.LangEN {
		call, toCounter, again = ClipEnCall, ClipEnCounter, ClipEnRecall
	}
	if recall {
		s = append(s, again, ClipPause)
	}
	s = append(s, call)
	for i, u := range codeUnits(code, mode, lang) {
		if i > 0 {
			s = append(s, ClipPause)
		}
		s = append(s, u.clips...)
	}
	if counter > 0 {
		s = append(s, ClipPause, toCounter)
		s = append(s, numberUnit(uint64(counter), lang).clips...)
	}
	return s
}

// viLetters are the letters that have a Vietnamese clip.
const viLetters = "AĂÂBCDĐEÊFGHIJKLMNOÔƠPQRSTUƯVWXYZ"

// Clips returns the name of every clip a script can contain, grouped:
// chime and pause, phrases, Vietnamese words and letters, English words and
// letters. A player may preload them all; a centre replacing the voice must
// record each one.
func Clips() []string {
	clips := []string{
		ClipChime, ClipPause,
		ClipViCall, ClipViCounter, ClipViRecall,
		ClipEnCall, ClipEnCounter, ClipEnRecall,
		ClipViNumber, ClipViYourNumber, ClipEnYourNumber,
	}
	for w := viWord(0); w < viWordCount; w++ {
		clips = append(clips, w.clip())
	}
	for _, r := range viLetters {
		clip, _, _ := viLetter(r)
		clips = append(clips, clip)
	}
	for n := uint64(0); n < 20; n++ {
		clips = append(clips, "en/"+enOnes(n))
	}
	for t := uint64(2); t <= 9; t++ {
		clips = append(clips, "en/"+enTens(t))
	}
	clips = append(clips, "en/hundred", "en/thousand", "en/million", "en/billion")
	for r := 'A'; r <= 'Z'; r++ {
		clip, _ := enLetter(r)
		clips = append(clips, clip)
	}
	return clips
}
