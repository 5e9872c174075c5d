// Package espeak speaks texts that have no recorded clip (a field's name,
// typed by a centre in /admin) with the espeak-ng program, the same
// synthesizer and voice that made the shipped clips (assets/sounds/generate.sh).
// It runs `espeak-ng -v vi --stdout TEXT` with a timeout and decodes the WAV
// it writes. espeak-ng is optional: without it, Find fails and the kiosk's
// guidance reads only what has clips (the keys' numbers).
package espeak

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os/exec"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/civiq/civiq/internal/voice/wav"
	"github.com/civiq/civiq/server/protocol"
)

// Defaults of Synth.
const (
	// DefaultTimeout bounds one synthesis. espeak-ng speaks a field's name
	// in a few milliseconds; a loaded PC may take a few hundred.
	DefaultTimeout = 3 * time.Second
	// MaxText is the longest text spoken (in bytes); longer is cut at a
	// word. A field's name is far shorter.
	MaxText = 400
)

// Speeds in words per minute, as in assets/sounds/generate.sh.
const (
	speedVI = 135
	speedEN = 140
)

// Synth runs espeak-ng.
type Synth struct {
	// Path is the espeak-ng program.
	Path string
	// Timeout bounds each Say (default DefaultTimeout).
	Timeout time.Duration
}

// ErrNotInstalled: espeak-ng is not on PATH.
var ErrNotInstalled = errors.New("espeak: espeak-ng is not installed")

// Find looks espeak-ng up on PATH.
func Find() (*Synth, error) {
	p, err := exec.LookPath("espeak-ng")
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrNotInstalled, err)
	}
	return &Synth{Path: p}, nil
}

// Say speaks text in lang (protocol.LangVI unless protocol.LangEN) and
// returns the sound. It fails after the Timeout or when ctx ends.
func (s *Synth) Say(ctx context.Context, text, lang string) (wav.Sound, error) {
	text = clean(text)
	if text == "" {
		return wav.Sound{}, errors.New("espeak: nothing to say")
	}
	timeout := s.Timeout
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	voice, speed := "vi", speedVI
	if lang == protocol.LangEN {
		voice, speed = "en", speedEN
	}
	// "--" ends the options: a name starting with "-" is text, not a flag.
	cmd := exec.CommandContext(ctx, s.Path, "-v", voice, "-s", strconv.Itoa(speed), "--stdout", "--", text)
	cmd.WaitDelay = time.Second
	var out, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &stderr
	if err := cmd.Run(); err != nil {
		if ctx.Err() != nil {
			return wav.Sound{}, fmt.Errorf("espeak: %w", ctx.Err())
		}
		return wav.Sound{}, fmt.Errorf("espeak: %v: %s", err, strings.TrimSpace(stderr.String()))
	}
	snd, err := wav.Decode(&out)
	if err != nil {
		return wav.Sound{}, fmt.Errorf("espeak: %w", err)
	}
	return snd, nil
}

// clean makes text safe to hand over: valid UTF-8, no control characters,
// one space between words, at most MaxText bytes.
func clean(text string) string {
	text = strings.ToValidUTF8(text, " ")
	text = strings.Map(func(r rune) rune {
		if r < ' ' || r == 0x7f {
			return ' '
		}
		return r
	}, text)
	text = strings.Join(strings.Fields(text), " ")
	if len(text) > MaxText {
		cut := MaxText
		for cut > 0 && !utf8.RuneStart(text[cut]) {
			cut--
		}
		text = text[:cut]
		if i := strings.LastIndexByte(text, ' '); i > 0 {
			text = text[:i]
		}
	}
	return text
}
