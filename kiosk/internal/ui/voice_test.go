package ui

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/civiq/civiq/assets"
	"github.com/civiq/civiq/internal/voice/announce"
	"github.com/civiq/civiq/internal/voice/espeak"
	"github.com/civiq/civiq/internal/voice/speaker"
	"github.com/civiq/civiq/server/protocol"
)

// nopVoice is the rigs' voice: the Listen button shows, as on a kiosk
// with a speaker.
type nopVoice struct{}

func (nopVoice) Speak(context.Context, []announce.Part) error { return nil }

// recVoice is a Voice that records what it is asked to say.
type recVoice struct{ said chan []announce.Part }

func newRecVoice() *recVoice { return &recVoice{said: make(chan []announce.Part, 16)} }

func (v *recVoice) Speak(ctx context.Context, parts []announce.Part) error {
	v.said <- parts
	return nil
}

func (v *recVoice) next(t *testing.T) []announce.Part {
	t.Helper()
	select {
	case p := <-v.said:
		return p
	case <-time.After(10 * time.Second):
		t.Fatal("nothing was spoken")
		return nil
	}
}

func (v *recVoice) quiet(t *testing.T) {
	t.Helper()
	select {
	case p := <-v.said:
		t.Fatalf("spoken: %v", p)
	case <-time.After(200 * time.Millisecond):
	}
}

// withVoice gives r's UI a voice and redraws its home screen.
func withVoice(r *rig, v Voice) {
	r.u.mu.Lock()
	r.u.opts.Voice = v
	r.u.showHomeLocked()
	r.u.mu.Unlock()
}

// shownChoices are the names of the tiles on the screen, in key order.
func shownChoices(r *rig) []announce.Choice {
	r.u.mu.Lock()
	defer r.u.mu.Unlock()
	var cs []announce.Choice
	for i, t := range r.u.home.shown().tiles {
		cs = append(cs, announce.Choice{Key: i + 1, Name: speakable(t.title)})
	}
	return cs
}

// TestListenReadsChoices: the Listen button reads the page's choices with
// their keys ("Số 1: …"), then the priority button, in the language shown;
// the keypad's '.' does the same.
func TestListenReadsChoices(t *testing.T) {
	r := layoutRig(t, fyne.NewSize(1920, 1080))
	v := newRecVoice()
	withVoice(r, v)
	svcs := bigServices(4, false)
	r.showFields(svcs)
	if b := r.button(t, "listen").(*widget.Button); b.Text != "Nghe hướng dẫn" || b.Icon == nil {
		t.Errorf("the button reads %q (icon %v)", b.Text, b.Icon)
	}
	test.Tap(r.button(t, "listen"))
	got := v.next(t)
	want := announce.Guide(append([]announce.Choice{
		{Key: 1, Name: svcs[0].Name.Vi}, {Key: 2, Name: svcs[1].Name.Vi}, {Key: 3, Name: svcs[2].Name.Vi}, {Key: 4, Name: svcs[3].Name.Vi},
	}, announce.Choice{Name: vi.ListenPriority}), protocol.LangVI)
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("Listen said\n%v\nwant\n%v", got, want)
	}
	// "Số 1: <name>" in clips and text.
	if got[0].Clip != announce.ClipViNumber || got[1].Clip != "vi/mot" || got[3].Text != svcs[0].Name.Vi {
		t.Errorf("starts %v", got[:4])
	}
	golden(t, r.w, "listen-1920x1080.png")

	test.Tap(r.button(t, "lang"))
	b := r.button(t, "listen").(*widget.Button)
	if b.Text != "Listen" {
		t.Errorf("English button reads %q", b.Text)
	}
	test.Tap(b)
	got = v.next(t)
	if got[0].Clip != announce.ClipEnCall || got[1].Clip != "en/one" || got[3].Lang != protocol.LangEN {
		t.Errorf("English guidance starts %v", got[:4])
	}

	// The keypad's decimal point reads the page too: 40 fields are paged;
	// the second page is read with its own keys.
	r.u.Keys(r.w.Canvas())
	r.showFields(bigServices(40, false))
	r.press(t, "+")
	r.press(t, ".")
	got = v.next(t)
	cs := shownChoices(r)
	if len(cs) < 2 || !reflect.DeepEqual(got, announce.Guide(append(cs, announce.Choice{Name: en.ListenPriority}), protocol.LangEN)) {
		t.Errorf("page 2 said %v", got)
	}
}

// TestListenSpeaksPrintedNumber: after Listen, the printed number is read
// aloud ("Số của bạn là A001"); the next citizen (after Xong) hears it only
// if they ask.
func TestListenSpeaksPrintedNumber(t *testing.T) {
	r := newRig(t, nil, "", fyne.NewSize(1920, 1080))
	v := newRecVoice()
	withVoice(r, v)
	waitScreen(t, r.u, ScreenHome)
	ids := shownIDs(r)
	test.Tap(r.button(t, "listen"))
	v.next(t)
	test.Tap(r.tile(t, ids[0]))
	waitScreen(t, r.u, ScreenConfirm)
	code := r.result(t).Ticket.Code
	got := v.next(t)
	if want := announce.ClipParts(announce.Issued(code, "", protocol.LangVI)); !reflect.DeepEqual(got, want) {
		t.Fatalf("after printing %s: %v, want %v", code, got, want)
	}
	if got[0].Clip != announce.ClipViYourNumber {
		t.Errorf("starts with %q", got[0].Clip)
	}
	test.Tap(r.button(t, "done"))
	waitScreen(t, r.u, ScreenHome)
	test.Tap(r.tile(t, ids[0]))
	waitScreen(t, r.u, ScreenConfirm)
	v.quiet(t)
}

func shownIDs(r *rig) []string {
	r.u.mu.Lock()
	defer r.u.mu.Unlock()
	return append([]string(nil), r.u.home.shown().ids...)
}

// timedVoice is the real speaker, recording how each Speak ended.
type timedVoice struct {
	p    *speaker.Player
	done chan error
}

func (v *timedVoice) Speak(ctx context.Context, parts []announce.Part) error {
	err := v.p.Speak(ctx, parts)
	v.done <- err
	return err
}

const listenChildEnv = "CIVIQ_UI_LISTEN_CHILD"

// TestListenOnNullDevice: a tap on Listen plays the guidance, the names
// spoken by espeak-ng, through the real audio library on ALSA's null
// device, and returns within its bound. It runs in a process of its own
// (the audio library allows one device per process).
func TestListenOnNullDevice(t *testing.T) {
	if os.Getenv(listenChildEnv) == "" {
		conf := filepath.Join(t.TempDir(), "asound.conf")
		if err := os.WriteFile(conf, []byte("pcm.!default { type null }\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
		defer cancel()
		cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^TestListenOnNullDevice$", "-test.v")
		cmd.Env = append(os.Environ(), listenChildEnv+"=1", "ALSA_CONFIG_PATH="+conf)
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("child: %v\n%s", err, out)
		}
		t.Logf("child:\n%s", out)
		return
	}
	synth, err := espeak.Find()
	if err != nil {
		t.Fatal(err)
	}
	sounds, err := fs.Sub(assets.FS, "sounds")
	if err != nil {
		t.Fatal(err)
	}
	p := speaker.New(context.Background(), speaker.Config{Sounds: []fs.FS{sounds}, Synth: synth})
	if p.Silent() {
		t.Fatal("the speaker is silent on ALSA's null device")
	}
	v := &timedVoice{p: p, done: make(chan error, 4)}
	r := layoutRig(t, fyne.NewSize(1920, 1080))
	withVoice(r, v)
	r.showFields(bigServices(3, false))
	start := time.Now()
	test.Tap(r.button(t, "listen"))
	select {
	case err := <-v.done:
		if err != nil && !errors.Is(err, context.Canceled) {
			t.Fatalf("Speak: %v", err)
		}
	case <-time.After(speakTimeout + 5*time.Second):
		t.Fatal("the guidance did not end within its bound")
	}
	t.Logf("three fields read in %v", time.Since(start))
}
