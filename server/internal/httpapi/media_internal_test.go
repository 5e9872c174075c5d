package httpapi

import (
	"path"
	"strings"
	"testing"
)

func TestSafeMediaName(t *testing.T) {
	for name, want := range map[string]bool{
		"chime.wav": true, "vi/letter_dd.wav": true, "en/twelve.wav": true,
		"": false, ".wav": false, "../x.wav": false, "vi/../x.wav": false, "/x.wav": false,
		"vi//x.wav": false, "x.wav/": false, "x.mp3": false, "x y.wav": false, "x.wav.wav": false,
		"vi/./x.wav": false, `vi\x.wav`: false, "ư.wav": false,
	} {
		if got := safeMediaName(name, ".wav"); got != want {
			t.Errorf("safeMediaName(%q) = %v, want %v", name, got, want)
		}
	}
}

// FuzzSafeMediaName: whatever a request carries, an accepted name never
// leaves the folder.
func FuzzSafeMediaName(f *testing.F) {
	for _, s := range []string{"chime.wav", "vi/muoi.wav", "../etc/passwd.wav", "a/../../b.wav", "%2e.wav"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, name string) {
		if !safeMediaName(name, ".wav") {
			return
		}
		if path.Clean(name) != name || strings.HasPrefix(name, "/") || strings.Contains(name, "..") || !path.IsAbs("/"+name) {
			t.Fatalf("unsafe name accepted: %q", name)
		}
	})
}
