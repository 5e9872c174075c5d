package announce_test

import (
	"bytes"
	"fmt"
	"io/fs"
	"strings"
	"testing"

	"github.com/civiq/civiq/assets"
	"github.com/civiq/civiq/internal/voice/announce"
	"github.com/civiq/civiq/internal/voice/wav"
	"github.com/civiq/civiq/server/protocol"
)

// The shipped clips are exactly the clips scripts use: none missing (a gap
// in a call-out), none left over (a file nobody updates when the voice is
// replaced). Regenerate them with assets/sounds/generate.sh.
func TestShippedClipsMatchScripts(t *testing.T) {
	shipped := map[string]bool{}
	err := fs.WalkDir(assets.FS, "sounds", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() && strings.HasSuffix(path, ".wav") {
			shipped[path] = true
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, clip := range announce.Clips() {
		if !shipped[announce.ClipFile(clip)] {
			t.Errorf("clip %q: %s is not in assets", clip, announce.ClipFile(clip))
		}
		delete(shipped, announce.ClipFile(clip))
	}
	for path := range shipped {
		t.Errorf("%s is shipped but no script uses it", path)
	}
}

// Every clip any script can produce exists: ticket numbers 0..9999 read
// both ways, every letter A–Z and the Vietnamese ones, counters 1..99,
// recalls and English.
func TestEveryScriptClipExists(t *testing.T) {
	exists := map[string]bool{}
	check := func(c protocol.Call, o announce.Options) {
		t.Helper()
		for _, clip := range announce.Script(c, o) {
			if exists[clip] {
				continue
			}
			if _, err := fs.Stat(assets.FS, announce.ClipFile(clip)); err != nil {
				t.Fatalf("%s at counter %d: clip %q: %v", c.Ticket.Code, c.Counter.Number, clip, err)
			}
			exists[clip] = true
		}
	}
	call := func(code string, counter int, recall bool, lang string) protocol.Call {
		return protocol.Call{
			Ticket:  protocol.Ticket{Code: code, Lang: lang},
			Counter: protocol.Counter{Number: counter},
			Recall:  recall,
		}
	}
	for _, mode := range []string{protocol.ReadAsNumber, protocol.ReadAsDigits} {
		o := announce.Options{ReadNumbers: mode, English: true}
		for n := 0; n <= 9999; n++ {
			check(call(fmt.Sprintf("A%03d", n), 1, false, protocol.LangVI), o)
		}
		for _, r := range "ABCDEFGHIJKLMNOPQRSTUVWXYZĐĂÂÊÔƠƯ" {
			check(call(string(r)+"001", 1, true, protocol.LangEN), o)
		}
		for counter := 1; counter <= 99; counter++ {
			check(call("A012", counter, false, protocol.LangVI), o)
		}
	}
}

// Clips are 22050 Hz mono 16-bit, neither empty nor long: a replaced clip
// with minutes of silence would hold up the hall.
func TestShippedClipsFormat(t *testing.T) {
	for _, clip := range announce.Clips() {
		data, err := fs.ReadFile(assets.FS, announce.ClipFile(clip))
		if err != nil {
			t.Fatal(err)
		}
		s, err := wav.Decode(bytes.NewReader(data))
		if err != nil {
			t.Errorf("%s: %v", clip, err)
			continue
		}
		// 44-byte header: anything larger is not plain 16-bit mono PCM.
		if s.Rate != 22050 || len(data) != 44+2*len(s.Samples) {
			t.Errorf("%s: %d Hz, %d bytes for %d samples; want 22050 Hz mono 16-bit", clip, s.Rate, len(data), len(s.Samples))
		}
		if d := s.Duration(); d < 0.1 || d > 2 {
			t.Errorf("%s lasts %.2f s", clip, d)
		}
	}
}
