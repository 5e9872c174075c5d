package config

import (
	"errors"
	"io"
	"io/fs"
	"os"
	"reflect"
	"strings"
	"testing"
)

func env(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func files(m map[string]string) func(string) ([]byte, error) {
	return func(name string) ([]byte, error) {
		if s, ok := m[name]; ok {
			return []byte(s), nil
		}
		return nil, fs.ErrNotExist
	}
}

func TestParse(t *testing.T) {
	// The older key = value file, as deploy/windows shipped it: still read,
	// with a warning.
	fileText := "# hall display\nserver = http://file:8080\ntoken_file = /etc/civiq/display.token\nlang = vi\nvoice = \"vi+en\"\n"
	jsonText := `{"server": "http://file:8080", "token_file": "/etc/civiq/display.token", "lang": "vi", "voice": "vi+en"}`
	cases := []struct {
		name  string
		args  []string
		env   map[string]string
		files map[string]string
		want  Config
		warn  bool // a deprecation warning is expected
		err   string
	}{
		{name: "defaults need a token", err: "no device token"},
		{name: "token flag", args: []string{"--token", "abc"},
			want: Config{Server: "http://127.0.0.1:8080", Token: "abc", Fullscreen: true, Lang: LangAlternate, Voice: VoiceVI}},
		{name: "token file as run.sh passes it", args: []string{"--server", "http://10.0.0.2:8080", "--token-file", "/data/display.token", "--fullscreen=false"},
			files: map[string]string{"/data/display.token": "tok123\n"},
			want:  Config{Server: "http://10.0.0.2:8080", Token: "tok123", TokenFile: "/data/display.token", Fullscreen: false, Lang: LangAlternate, Voice: VoiceVI}},
		{name: "file, then env, then flags", args: []string{"--config", "/etc/civiq/display.json", "--lang", "en"},
			env:   map[string]string{"CIVIQ_DISPLAY_VOICE": "vi", "CIVIQ_DISPLAY_NO_SOUND": "true"},
			files: map[string]string{"/etc/civiq/display.json": jsonText, "/etc/civiq/display.token": "ftok"},
			want: Config{Server: "http://file:8080", Token: "ftok", TokenFile: "/etc/civiq/display.token", Fullscreen: true, Lang: LangEN,
				Voice: VoiceVI, NoSound: true, File: "/etc/civiq/display.json"}},
		{name: "old key = value file, then env, then flags", args: []string{"--config", "/etc/civiq/display.conf", "--lang", "en"},
			env:   map[string]string{"CIVIQ_DISPLAY_VOICE": "vi", "CIVIQ_DISPLAY_NO_SOUND": "true"},
			files: map[string]string{"/etc/civiq/display.conf": fileText, "/etc/civiq/display.token": "ftok"},
			want: Config{Server: "http://file:8080", Token: "ftok", TokenFile: "/etc/civiq/display.token", Fullscreen: true, Lang: LangEN,
				Voice: VoiceVI, NoSound: true, File: "/etc/civiq/display.conf"}, warn: true},
		{name: "config file from env", env: map[string]string{"CIVIQ_DISPLAY_CONFIG": "/c", "CIVIQ_SERVER": "https://hcc.example.vn"},
			files: map[string]string{"/c": `{"token": "t1", "fullscreen": false}`},
			want:  Config{Server: "https://hcc.example.vn", Token: "t1", Fullscreen: false, Lang: LangAlternate, Voice: VoiceVI, File: "/c"}},
		{name: "CIVIQ_DISPLAY_SERVER beats CIVIQ_SERVER", args: []string{"--token", "t"},
			env:  map[string]string{"CIVIQ_SERVER": "http://a:1", "CIVIQ_DISPLAY_SERVER": "http://b:2"},
			want: Config{Server: "http://b:2", Token: "t", Fullscreen: true, Lang: LangAlternate, Voice: VoiceVI}},
		{name: "token flag beats token file", args: []string{"--token", "direct", "--token-file", "/missing"},
			want: Config{Server: "http://127.0.0.1:8080", Token: "direct", TokenFile: "/missing", Fullscreen: true, Lang: LangAlternate, Voice: VoiceVI}},
		{name: "missing token file", args: []string{"--token-file", "/missing"}, err: "token file"},
		{name: "bad server", args: []string{"--token", "t", "--server", "ftp://x"}, err: "must be http(s)://host[:port]"},
		{name: "two instances", args: []string{"--token", "t", "--server", "http://10.0.0.2:8080, http://10.0.0.3:8080/"},
			want: Config{Server: "http://10.0.0.2:8080, http://10.0.0.3:8080/", Servers: []string{"http://10.0.0.2:8080", "http://10.0.0.3:8080"},
				Token: "t", Fullscreen: true, Lang: LangAlternate, Voice: VoiceVI}},
		{name: "an instance twice", args: []string{"--token", "t", "--server", "http://a:1,http://a:1"}, err: "listed twice"},
		{name: "an empty address", args: []string{"--token", "t", "--server", "http://a:1,,http://b:1"}, err: "empty address"},
		{name: "a bad second address", args: []string{"--token", "t", "--server", "http://a:1,b:1"}, err: "must be http(s)://host[:port]"},
		{name: "bad lang", args: []string{"--token", "t", "--lang", "fr"}, err: "lang"},
		{name: "bad voice", args: []string{"--token", "t", "--voice", "en"}, err: "voice"},
		{name: "bad env bool", args: []string{"--token", "t"}, env: map[string]string{"CIVIQ_DISPLAY_FULLSCREEN": "maybe"}, err: "CIVIQ_DISPLAY_FULLSCREEN"},
		{name: "unknown file key", args: []string{"--config", "/c"}, files: map[string]string{"/c": `{"token": "t", "colour": "red"}`}, err: `unknown key "colour"`},
		{name: "unknown old-format key", args: []string{"--config", "/c"}, files: map[string]string{"/c": "colour = red\n"}, err: `unknown key "colour"`},
		{name: "bad file value", args: []string{"--config", "/c"}, files: map[string]string{"/c": `{"token": "t", "fullscreen": "yes"}`}, err: `key "fullscreen": want true or false`},
		{name: "bad flag bool", args: []string{"--token", "t", "--no-sound=loud"}, err: "no-sound"},
		{name: "file line without =", args: []string{"--config", "/c"}, files: map[string]string{"/c": "token\n"}, err: "line 1"},
		{name: "stray argument", args: []string{"--token", "t", "extra"}, err: "unexpected argument"},
		{name: "token with spaces", args: []string{"--token", "a b"}, err: "white space"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := Parse(c.args, env(c.env), files(c.files), io.Discard)
			if c.err != "" {
				if err == nil || !strings.Contains(err.Error(), c.err) {
					t.Fatalf("err %v, want %q", err, c.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			warnings := got.Warnings
			got.Warnings = nil
			if c.want.Servers == nil {
				c.want.Servers = []string{c.want.Server}
			}
			if !reflect.DeepEqual(got, c.want) {
				t.Fatalf("got  %+v\nwant %+v", got, c.want)
			}
			if c.warn != (len(warnings) == 1 && strings.Contains(warnings[0], "deprecated")) {
				t.Fatalf("warnings %q", warnings)
			}
		})
	}
}

// FuzzParseFile: a config file of any content is accepted or refused with
// an error, never a panic, and an accepted one gives a valid config.
func FuzzParseFile(f *testing.F) {
	for _, s := range []string{`{"server": "http://x:1", "token": "t", "no_sound": true}`, `{"lang": 3}`, "server = http://x:1\ntoken = t\n", "# c\n\nlang=vi+en\ntoken=\"q\"", "fullscreen = yes", "=", "token = a\x00b"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		c, err := Parse([]string{"--config", "/c", "--token", "tok"}, env(nil), files(map[string]string{"/c": s}), io.Discard)
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				t.Fatal(err)
			}
			return
		}
		if c.validate() != nil {
			t.Fatalf("accepted an invalid config %+v", c)
		}
	})
}

// TestShippedSample: the sample file in deploy/windows is read without a
// warning.
func TestShippedSample(t *testing.T) {
	b, err := os.ReadFile("../../../deploy/windows/display.sample.json")
	if err != nil {
		t.Fatal(err)
	}
	c, err := Parse([]string{"--config", "/c"}, env(nil), files(map[string]string{"/c": string(b), `C:\ProgramData\CiviQ\display.token`: "tok"}), io.Discard)
	if err != nil || c.Token != "tok" || c.Lang != LangAlternate || len(c.Warnings) != 0 {
		t.Fatalf("%+v %v", c, err)
	}
}
