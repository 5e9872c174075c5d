//go:build cgo

// The tests that play through the real audio library: it needs cgo (a
// build without cgo has no sound support, and these tests are not built).

package speaker

import (
	"strings"
	"testing"
)

func TestPlaysOnNullDevice(t *testing.T) {
	r := child(t, "null", "pcm.!default { type null }\n")
	if r.Silent {
		t.Fatal("player is silent with a null device")
	}
	if r.Err != "" {
		t.Errorf("Play: %s", r.Err)
	}
	if r.Elapsed > r.Duration+Slack.Seconds() {
		t.Errorf("Play took %.2f s for %.2f s of sound", r.Elapsed, r.Duration)
	}
	// ALSA's null device swallows the sound at once, so the 50 ms deadline
	// may not be reached; the fake device tests the cut-off.
	if r.TimedOut != "" && !strings.Contains(r.TimedOut, "deadline") {
		t.Errorf("Play with a 50 ms deadline: %s", r.TimedOut)
	}
}

// TestSpeakGuidanceOnNullDevice: the kiosk's guidance, clips and
// synthesized names, plays through the real audio library on ALSA's null
// device within its bound.
func TestSpeakGuidanceOnNullDevice(t *testing.T) {
	r := child(t, "speak", "pcm.!default { type null }\n")
	if r.Silent || r.Err != "" {
		t.Fatalf("silent %v, err %q", r.Silent, r.Err)
	}
	// Two keys and two names: more than the clips alone (about 2 s).
	if r.Duration < 2.5 {
		t.Errorf("guidance lasts %.2f s: names not spoken?", r.Duration)
	}
	if r.Elapsed > r.Duration+Slack.Seconds() {
		t.Errorf("Speak took %.2f s for %.2f s of sound", r.Elapsed, r.Duration)
	}
}
