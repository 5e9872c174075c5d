// Package speaker plays call-out scripts (announce.Player) on the display
// PC's sound card through oto (ALSA on Linux).
//
// The clips of a script are decoded and joined into one buffer before it
// plays, so the sentence has no gaps of file loading between its words. A
// display must run without sound too (a TV on HDMI switched to another input,
// a mini PC with no card): when the device cannot be opened, or fails later,
// the Player goes silent, logs that once, and keeps returning nil.
package speaker

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"sync"
	"time"

	"github.com/civiq/civiq/internal/voice/announce"
	"github.com/civiq/civiq/internal/voice/wav"
)

// Rate is the sample rate of the device and of the shipped clips (22050 Hz
// mono 16-bit); clips at another rate are resampled.
const Rate = 22050

// Slack is added to a script's duration to bound its playback: device
// latency and buffering, never a whole extra sentence.
const Slack = 3 * time.Second

// DefaultOpenTimeout bounds opening the sound device.
const DefaultOpenTimeout = 5 * time.Second

// Config configures a Player.
type Config struct {
	// Sounds are searched in order for each clip ("vi/muoi" is the file
	// vi/muoi.wav). Put a centre's folder of recorded clips (os.DirFS) first
	// and the shipped clips (fs.Sub(assets.FS, "sounds")) last, so that a
	// centre may replace any clip and keep the others.
	Sounds []fs.FS
	// Logger receives the one message about going silent (default: discarded).
	Logger *slog.Logger
	// OpenTimeout bounds opening the sound device (default DefaultOpenTimeout).
	OpenTimeout time.Duration
	// Synth speaks the text parts of Speak (a field's name); nil leaves
	// them out, so only the clips are heard.
	Synth Synth
}

// Synth turns a text without a clip into sound (espeak.Synth).
type Synth interface {
	Say(ctx context.Context, text, lang string) (wav.Sound, error)
}

// device is an opened sound output.
type device interface {
	// play plays 16-bit mono PCM at Rate and returns when it has been
	// played or ctx is done.
	play(ctx context.Context, pcm []byte) error
}

// Player plays scripts on the sound card, one at a time.
type Player struct {
	sounds []fs.FS
	synth  Synth
	log    *slog.Logger
	turn   chan struct{} // a token: holding it means playing
	slack  time.Duration

	mu      sync.Mutex
	dev     device // nil when silent
	silence sync.Once
}

var _ announce.Player = (*Player)(nil)

// New opens the default sound device. It never fails: without a usable
// device the Player is silent (see Silent). Only one Player with a device can
// exist in a process (the audio library allows one context); a second one is
// silent.
func New(ctx context.Context, cfg Config) *Player {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.OpenTimeout <= 0 {
		cfg.OpenTimeout = DefaultOpenTimeout
	}
	p := &Player{sounds: cfg.Sounds, synth: cfg.Synth, log: cfg.Logger, turn: make(chan struct{}, 1), slack: Slack}
	openCtx, cancel := context.WithTimeout(ctx, cfg.OpenTimeout)
	defer cancel()
	dev, err := openDevice(openCtx)
	if err != nil {
		p.goSilent(err)
		return p
	}
	p.dev = dev
	return p
}

// newWithDevice is New with a given device, for tests.
func newWithDevice(dev device, cfg Config) *Player {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	return &Player{sounds: cfg.Sounds, synth: cfg.Synth, log: cfg.Logger, turn: make(chan struct{}, 1), slack: Slack, dev: dev}
}

// Silent reports whether the Player has no sound device and plays nothing.
func (p *Player) Silent() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.dev == nil
}

func (p *Player) goSilent(err error) {
	p.mu.Lock()
	p.dev = nil
	p.mu.Unlock()
	p.silence.Do(func() {
		p.log.Warn("speaker: no sound device, call-outs are silent", "err", err)
	})
}

// Play plays the clips one after the other. It returns when they have been
// played, when ctx is done, or after their duration plus Slack, whichever is
// first. Missing or unreadable clips are left out of the sentence and
// reported in the error after the rest has played. Without a sound device it
// returns nil at once (after checking the clips).
func (p *Player) Play(ctx context.Context, clips []string) error {
	return p.Speak(ctx, announce.ClipParts(clips))
}

// Speak plays parts one after the other, as Play plays clips: a clip part
// is its clip; a text part (a field's name) is spoken by the Synth, each
// within the Synth's own timeout, and left out when there is no Synth or
// it fails (the error says so after the rest has played). The whole is
// bounded like Play: ctx, or its duration plus Slack.
func (p *Player) Speak(ctx context.Context, parts []announce.Part) error {
	select {
	case p.turn <- struct{}{}:
		defer func() { <-p.turn }()
	case <-ctx.Done():
		return ctx.Err()
	}
	sound, partErr := p.assembleParts(ctx, parts)
	p.mu.Lock()
	dev := p.dev
	p.mu.Unlock()
	if dev == nil || len(sound.Samples) == 0 {
		return partErr
	}
	bound := time.Duration(sound.Duration()*float64(time.Second)) + p.slack
	ctx, cancel := context.WithTimeout(ctx, bound)
	defer cancel()
	err := dev.play(ctx, sound.PCM())
	var devErr deviceError
	if errors.As(err, &devErr) {
		// The device is gone (HDMI unplugged, card removed). The audio
		// library cannot reopen it in this process: go silent rather than
		// fail every call-out until the display restarts.
		p.goSilent(err)
		err = nil
	}
	return errors.Join(err, partErr)
}

// assembleParts is Assemble for parts, synthesizing the texts.
func (p *Player) assembleParts(ctx context.Context, parts []announce.Part) (wav.Sound, error) {
	out := wav.Sound{Rate: Rate}
	var errs []error
	var noSynth bool
	for _, part := range parts {
		var s wav.Sound
		var err error
		switch {
		case part.Clip != "":
			s, err = load(p.sounds, part.Clip)
		case part.Text == "":
			continue
		case p.synth == nil:
			noSynth = true
			continue
		default:
			s, err = p.synth.Say(ctx, part.Text, part.Lang)
		}
		if err != nil {
			errs = append(errs, err)
			continue
		}
		out.Samples = append(out.Samples, wav.Resample(s, Rate).Samples...)
	}
	if noSynth {
		errs = append(errs, ErrNoSynth)
	}
	return out, errors.Join(errs...)
}

// ErrNoSynth: a guidance had texts and the Player no synthesizer; the texts
// were left out.
var ErrNoSynth = errors.New("speaker: no speech synthesizer: texts left out")

// deviceError marks a failure of the sound device itself, as opposed to the
// end of ctx.
type deviceError struct{ err error }

func (e deviceError) Error() string { return "speaker: sound device: " + e.err.Error() }
func (e deviceError) Unwrap() error { return e.err }

// Assemble decodes the clips from the first of sounds that has each one,
// converts them to Rate and joins them into one sound. A clip that is
// missing or broken is left out; the error lists every such clip.
func Assemble(sounds []fs.FS, clips []string) (wav.Sound, error) {
	out := wav.Sound{Rate: Rate}
	var errs []error
	for _, clip := range clips {
		s, err := load(sounds, clip)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		out.Samples = append(out.Samples, wav.Resample(s, Rate).Samples...)
	}
	return out, errors.Join(errs...)
}

// load decodes one clip.
func load(sounds []fs.FS, clip string) (wav.Sound, error) {
	name := clip + ".wav"
	if !fs.ValidPath(name) {
		return wav.Sound{}, fmt.Errorf("speaker: clip %q: invalid name", clip)
	}
	for _, fsys := range sounds {
		data, err := fs.ReadFile(fsys, name)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return wav.Sound{}, fmt.Errorf("speaker: clip %q: %w", clip, err)
		}
		s, err := wav.Decode(bytes.NewReader(data))
		if err != nil {
			return wav.Sound{}, fmt.Errorf("speaker: clip %q: %w", clip, err)
		}
		return s, nil
	}
	return wav.Sound{}, fmt.Errorf("speaker: clip %q: %w", clip, fs.ErrNotExist)
}
