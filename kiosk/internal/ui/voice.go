package ui

import (
	"context"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/civiq/civiq/internal/voice/announce"
)

// Voice speaks the kiosk's spoken guidance through its speaker: clips of
// the displays' offline voice and texts without a clip (field names),
// which it synthesizes or leaves out (speaker.Player). Speak must return
// by the end of ctx.
type Voice interface {
	Speak(ctx context.Context, parts []announce.Part) error
}

// speakTimeout bounds one guidance: 40 fields on a page read at about
// two seconds each, with room to spare. The speaker bounds each play by
// its duration too.
const speakTimeout = 90 * time.Second

// listenButtonLocked is the home screen's "Nghe hướng dẫn" button, with a
// speaker icon; nil without a Voice.
func (u *UI) listenButtonLocked() fyne.CanvasObject {
	if u.opts.Voice == nil {
		return nil
	}
	w := wordsFor(u.lang)
	b := widget.NewButtonWithIcon(w.Listen, theme.VolumeUpIcon(), func() { u.tapListen() })
	b.Importance = widget.HighImportance
	u.buttons["listen"] = b
	return b
}

// tapListen reads the choices on the screen aloud: "Số 1: Đất đai. Số 2:
// …" and the priority button, in the language shown. From then on, in
// this citizen's turn, the printed number is read aloud too.
func (u *UI) tapListen() {
	u.mu.Lock()
	defer u.mu.Unlock()
	if u.opts.Voice == nil || u.home == nil || (u.screen != ScreenHome && u.screen != ScreenPriority) {
		return
	}
	u.listening = true
	v := u.home.shown()
	choices := make([]announce.Choice, 0, len(v.tiles)+1)
	for i, t := range v.tiles {
		choices = append(choices, announce.Choice{Key: i + 1, Name: speakable(t.title)})
	}
	if u.screen == ScreenHome && u.priority != nil {
		choices = append(choices, announce.Choice{Name: wordsFor(u.lang).ListenPriority})
	}
	u.armIdleLocked(u.homeIdle(u.screen == ScreenPriority))
	u.speakLocked(announce.Guide(choices, u.lang))
}

// speakIssuedLocked reads the printed number aloud when the citizen asked
// for spoken guidance in this turn.
func (u *UI) speakIssuedLocked(code string) {
	if !u.listening || u.opts.Voice == nil || code == "" {
		return
	}
	u.speakLocked(announce.ClipParts(announce.Issued(code, u.st.Centre.ReadNumbers, u.lang)))
}

// speakLocked starts speaking parts, cutting off what is being spoken.
func (u *UI) speakLocked(parts []announce.Part) {
	if u.stopSpeaking != nil {
		u.stopSpeaking()
	}
	ctx, cancel := context.WithTimeout(context.Background(), speakTimeout)
	u.stopSpeaking = cancel
	voice := u.opts.Voice
	go func() {
		defer cancel()
		_ = voice.Speak(ctx, parts) // a silent kiosk still shows everything
	}()
}

// stopSpeakingLocked cuts off the guidance (the next citizen).
func (u *UI) stopSpeakingLocked() {
	u.listening = false
	if u.stopSpeaking != nil {
		u.stopSpeaking()
		u.stopSpeaking = nil
	}
}

// speakable is a tile's title as it is read: its lines joined.
func speakable(title string) string {
	return strings.Join(strings.Fields(title), " ")
}
