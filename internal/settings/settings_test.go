package settings

import (
	"encoding/json"
	"errors"
	"flag"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

// vals is one of every kind of setting, with its defaults.
type vals struct {
	S    string
	B    bool
	N    int
	F    float64
	D    time.Duration
	Path string
}

func newSet(v *vals, keyValue bool) *Set {
	*v = vals{S: "def", N: 7, F: 1.5, D: 20 * time.Second}
	s := New("test", io.Discard)
	s.ConfigFile("CIVIQ_TEST_CONFIG")
	if keyValue {
		s.AllowKeyValueFile()
	}
	s.String(&v.S, "name", "a string", "CIVIQ_NAME", "CIVIQ_TEST_NAME")
	s.Bool(&v.B, "on", "a bool", "CIVIQ_ON")
	s.Int(&v.N, "count", "an int", "CIVIQ_COUNT")
	s.Float(&v.F, "rate", "a float", "CIVIQ_RATE")
	s.Duration(&v.D, "idle_time", "a duration", "CIVIQ_IDLE_TIME")
	s.String(&v.Path, "token_file", "a path")
	return s
}

func env(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func files(m map[string]string) func(string) ([]byte, error) {
	return func(name string) ([]byte, error) {
		if s, ok := m[name]; ok {
			return []byte(s), nil
		}
		return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrNotExist}
	}
}

func parse(t *testing.T, keyValue bool, args []string, e map[string]string, f map[string]string) (vals, *Set, error) {
	t.Helper()
	var v vals
	s := newSet(&v, keyValue)
	err := s.Parse(args, env(e), files(f))
	return v, s, err
}

// TestPrecedence: default < file < env < flag, for every kind of value,
// and a later environment variable beats an earlier one.
func TestPrecedence(t *testing.T) {
	file := map[string]string{"/c.json": `{"name":"file","on":true,"count":3,"rate":2.5,"idle_time":"45s","token_file":"/t"}`}
	def := vals{S: "def", N: 7, F: 1.5, D: 20 * time.Second}
	cases := []struct {
		name string
		args []string
		env  map[string]string
		want vals
	}{
		{"defaults", nil, nil, def},
		{"file", []string{"--config", "/c.json"}, nil, vals{S: "file", B: true, N: 3, F: 2.5, D: 45 * time.Second, Path: "/t"}},
		{"file named by env", nil, map[string]string{"CIVIQ_TEST_CONFIG": "/c.json"}, vals{S: "file", B: true, N: 3, F: 2.5, D: 45 * time.Second, Path: "/t"}},
		{"env over file", []string{"--config", "/c.json"},
			map[string]string{"CIVIQ_NAME": "env", "CIVIQ_ON": "false", "CIVIQ_COUNT": "4", "CIVIQ_RATE": "-1", "CIVIQ_IDLE_TIME": "1m"},
			vals{S: "env", B: false, N: 4, F: -1, D: time.Minute, Path: "/t"}},
		{"later env over earlier", nil, map[string]string{"CIVIQ_NAME": "first", "CIVIQ_TEST_NAME": "second"},
			vals{S: "second", N: 7, F: 1.5, D: 20 * time.Second}},
		{"empty env is unset", []string{"--config", "/c.json"}, map[string]string{"CIVIQ_NAME": ""},
			vals{S: "file", B: true, N: 3, F: 2.5, D: 45 * time.Second, Path: "/t"}},
		{"flag over env over file", []string{"--config", "/c.json", "--name", "flag", "--on=false", "--count", "5", "--rate", "0.25", "--idle-time", "2h", "--token-file", "/f"},
			map[string]string{"CIVIQ_NAME": "env", "CIVIQ_ON": "true", "CIVIQ_COUNT": "4", "CIVIQ_RATE": "9", "CIVIQ_IDLE_TIME": "1m"},
			vals{S: "flag", B: false, N: 5, F: 0.25, D: 2 * time.Hour, Path: "/f"}},
		{"bare bool flag", []string{"--on"}, nil, vals{S: "def", B: true, N: 7, F: 1.5, D: 20 * time.Second}},
		{"--config beats the env's file", []string{"--config", "/c.json"}, map[string]string{"CIVIQ_TEST_CONFIG": "/missing"},
			vals{S: "file", B: true, N: 3, F: 2.5, D: 45 * time.Second, Path: "/t"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, s, err := parse(t, false, c.args, c.env, file)
			if err != nil {
				t.Fatal(err)
			}
			if got != c.want {
				t.Fatalf("got  %+v\nwant %+v", got, c.want)
			}
			if len(s.Warnings()) != 0 {
				t.Fatalf("warnings %q", s.Warnings())
			}
		})
	}
}

// TestErrors: every refusal names what is at fault: the file and its key,
// the environment variable or the flag.
func TestErrors(t *testing.T) {
	cases := []struct {
		name string
		args []string
		env  map[string]string
		file string // the content of /c, read with --config /c
		want []string
	}{
		{name: "unknown key", file: `{"name":"x","colour":"red"}`, want: []string{"/c", `unknown key "colour"`}},
		{name: "flag spelling as key", file: `{"token-file":"/t"}`, want: []string{`unknown key "token-file"`}},
		{name: "key twice", file: `{"name":"x","name":"y"}`, want: []string{`key "name" given twice`}},
		{name: "string as number", file: `{"count":"3"}`, want: []string{`key "count"`, "want a number"}},
		{name: "fraction as int", file: `{"count":2.5}`, want: []string{`key "count"`, "not a whole number"}},
		{name: "bool as string", file: `{"on":"yes"}`, want: []string{`key "on"`, "want true or false"}},
		{name: "number as string", file: `{"name":3}`, want: []string{`key "name"`, "want a string"}},
		{name: "key twice in two cases", file: `{"name":"x","Name":"y"}`, want: []string{`key "name" given twice`}},
		{name: "bad duration", file: `{"idle_time":"soon"}`, want: []string{`key "idle_time"`, "not a duration"}},
		{name: "duration as bool", file: `{"idle_time":true}`, want: []string{`key "idle_time"`, `want a duration such as "20s"`}},
		{name: "not an object", file: `["name"]`, want: []string{"/c", "want a JSON object"}},
		{name: "broken JSON", file: `{"name":`, want: []string{"/c", "not JSON"}},
		{name: "trailing data", file: `{} {}`, want: []string{"trailing data"}},
		{name: "key = value without permission", file: "name = x\n", want: []string{"/c", "not JSON"}},
		{name: "bad env bool", env: map[string]string{"CIVIQ_ON": "maybe"}, want: []string{"CIVIQ_ON", `"maybe" is not true or false`}},
		{name: "bad env int", env: map[string]string{"CIVIQ_COUNT": "many"}, want: []string{"CIVIQ_COUNT", "not a whole number"}},
		{name: "bad env float", env: map[string]string{"CIVIQ_RATE": "fast"}, want: []string{"CIVIQ_RATE", "not a number"}},
		{name: "bad env duration", env: map[string]string{"CIVIQ_IDLE_TIME": "20"}, want: []string{"CIVIQ_IDLE_TIME", "not a duration"}},
		{name: "bad flag", args: []string{"--count", "x"}, want: []string{"-count", "not a whole number"}},
		{name: "unknown flag", args: []string{"--colour", "red"}, want: []string{"colour"}},
		{name: "argument", args: []string{"extra"}, want: []string{`unexpected argument "extra"`}},
		{name: "missing file", args: []string{"--config", "/missing"}, want: []string{"config file", "/missing"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			args := c.args
			if c.file != "" {
				args = append([]string{"--config", "/c"}, args...)
			}
			_, _, err := parse(t, false, args, c.env, map[string]string{"/c": c.file})
			if err == nil {
				t.Fatal("accepted")
			}
			for _, w := range c.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not say %q", err, w)
				}
			}
		})
	}
}

// TestOlderJSON: what encoding/json let older kiosk files say is still
// read: a key in another case (with a warning) and null (as if absent).
func TestOlderJSON(t *testing.T) {
	got, s, err := parse(t, false, []string{"--config", "/c"}, nil, map[string]string{"/c": `{"Name":"x","count":null,"TOKEN_FILE":"/t"}`})
	if err != nil {
		t.Fatal(err)
	}
	if got.S != "x" || got.N != 7 || got.Path != "/t" {
		t.Fatalf("got %+v", got)
	}
	if w := s.Warnings(); len(w) != 2 || !strings.Contains(w[0], `"Name" in another case is deprecated; write "name"`) {
		t.Fatalf("warnings %q", w)
	}
}

// TestDurationSeconds: a number of seconds in a file (older kiosk files)
// is still read, with a warning showing the duration string to write.
func TestDurationSeconds(t *testing.T) {
	got, s, err := parse(t, false, []string{"--config", "/c"}, nil, map[string]string{"/c": `{"idle_time":30}`})
	if err != nil {
		t.Fatal(err)
	}
	if got.D != 30*time.Second {
		t.Fatalf("idle_time %v", got.D)
	}
	if w := s.Warnings(); len(w) != 1 || !strings.Contains(w[0], `"idle_time"`) || !strings.Contains(w[0], `"30s"`) {
		t.Fatalf("warnings %q", w)
	}
}

// TestKeyValueFile: the older "key = value" format is read where allowed,
// with a warning whose JSON gives the same settings.
func TestKeyValueFile(t *testing.T) {
	in := "# old file\n\nname = \"hall 2\"\ntoken-file = /etc/civiq/display.token\non = 1\ncount=9\nidle_time = 90s\n"
	got, s, err := parse(t, true, []string{"--config", "/c"}, nil, map[string]string{"/c": in})
	if err != nil {
		t.Fatal(err)
	}
	want := vals{S: "hall 2", B: true, N: 9, F: 1.5, D: 90 * time.Second, Path: "/etc/civiq/display.token"}
	if got != want || s.File() != "/c" {
		t.Fatalf("got %+v from %q", got, s.File())
	}
	w := s.Warnings()
	if len(w) != 1 || !strings.Contains(w[0], "deprecated") {
		t.Fatalf("warnings %q", w)
	}
	js := w[0][strings.Index(w[0], "{"):]
	again, s2, err := parse(t, false, []string{"--config", "/c.json"}, nil, map[string]string{"/c.json": js})
	if err != nil || again != want || len(s2.Warnings()) != 0 {
		t.Fatalf("the warning's JSON %s gives %+v, %v", js, again, err)
	}
	for _, bad := range []string{"name\n", "colour = red\n", "count = x\n"} {
		if _, _, err := parse(t, true, []string{"--config", "/c"}, nil, map[string]string{"/c": bad}); err == nil || !strings.Contains(err.Error(), "line 1") {
			t.Errorf("%q: %v", bad, err)
		}
	}
	// A JSON file is JSON even where the old format is allowed, also after
	// a byte-order mark.
	if got, s, err := parse(t, true, []string{"--config", "/c"}, nil, map[string]string{"/c": "\ufeff \n{\"count\": 2}"}); err != nil || got.N != 2 || len(s.Warnings()) != 0 {
		t.Fatalf("JSON file: %+v %q %v", got, s.Warnings(), err)
	}
}

// TestRealFile reads a file from disk with os.ReadFile, as the programs do.
func TestRealFile(t *testing.T) {
	p := filepath.Join(t.TempDir(), "c.json")
	if err := os.WriteFile(p, []byte(`{"name":"disk"}`), 0o600); err != nil {
		t.Fatal(err)
	}
	var v vals
	s := newSet(&v, false)
	if err := s.Parse([]string{"--config", p}, env(nil), os.ReadFile); err != nil || v.S != "disk" {
		t.Fatalf("%+v %v", v, err)
	}
	s = newSet(&v, false)
	err := s.Parse([]string{"--config", p + ".missing"}, env(nil), os.ReadFile)
	if !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("missing file: %v", err)
	}
}

// FuzzDecodeFile: a config file of any content is read or refused, never a
// panic; an accepted file reads the same twice, and an accepted old-format
// file's suggested JSON gives the same settings.
func FuzzDecodeFile(f *testing.F) {
	for _, s := range []string{
		`{"name":"x","on":true,"count":3,"rate":2.5,"idle_time":"45s","token_file":"/t"}`,
		`{"idle_time":30}`, `{"count":1e3}`, `{"name":"\u00e9"}`, `{}`, `[]`, `{`, `null`,
		"name = x\non = true\n", "# c\ncount=2\nidle-time=1m", "=", "name = \"a\x00b\"",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		var v1, v2 vals
		s1, s2 := newSet(&v1, true), newSet(&v2, true)
		m := map[string]string{"/c": string(in)}
		err1 := s1.Parse([]string{"--config", "/c"}, env(nil), files(m))
		err2 := s2.Parse([]string{"--config", "/c"}, env(nil), files(m))
		if (err1 == nil) != (err2 == nil) || v1 != v2 {
			t.Fatalf("two reads differ: %+v %v / %+v %v", v1, err1, v2, err2)
		}
		if err1 != nil {
			if errors.Is(err1, fs.ErrNotExist) {
				t.Fatal(err1)
			}
			return
		}
		for _, w := range s1.Warnings() {
			if !strings.Contains(w, "deprecated") {
				t.Fatalf("warning %q", w)
			}
			if !strings.Contains(w, "old \"key = value\" format") || !utf8.Valid(in) {
				continue // JSON cannot carry bytes that are not UTF-8
			}
			js := w[strings.LastIndex(w, ": {")+2:]
			if !json.Valid([]byte(js)) {
				t.Fatalf("suggested JSON %q is not JSON", js)
			}
			var v3 vals
			s3 := newSet(&v3, false)
			if err := s3.Parse([]string{"--config", "/j"}, env(nil), files(map[string]string{"/j": js})); err != nil || v3 != v1 {
				t.Fatalf("suggested JSON %s gives %+v, %v; the file gave %+v", js, v3, err, v1)
			}
		}
	})
}

// TestUsage: -h lists every flag with its kind, variables and default.
func TestUsage(t *testing.T) {
	var v vals
	var out strings.Builder
	s := New("test", &out)
	v.D = 20 * time.Second
	s.ConfigFile("CIVIQ_TEST_CONFIG")
	s.Duration(&v.D, "idle_time", "a duration", "CIVIQ_IDLE_TIME")
	s.Bool(&v.B, "on", "a bool")
	if err := s.Parse([]string{"-h"}, env(nil), files(nil)); !errors.Is(err, flag.ErrHelp) {
		t.Fatal(err)
	}
	for _, want := range []string{"--config file", "(env CIVIQ_TEST_CONFIG)", "--idle-time duration\n", "a duration (env CIVIQ_IDLE_TIME) (default 20s)", "--on\n"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("usage lacks %q:\n%s", want, out.String())
		}
	}
}

func TestServerURLs(t *testing.T) {
	got, err := ServerURLs(" http://10.0.0.2:8080/ ,https://hcc.example.vn")
	if err != nil || len(got) != 2 || got[0] != "http://10.0.0.2:8080" || got[1] != "https://hcc.example.vn" {
		t.Fatalf("%q, %v", got, err)
	}
	for _, bad := range []string{"", ",", "http://a:1,", "http://a:1,http://a:1/", "10.0.0.2:8080", "ftp://a", "http://u:p@a:1", "http://a:1?x=1",
		"http://a:1,http://b:1,http://c:1,http://d:1,http://e:1,http://f:1,http://g:1,http://h:1,http://i:1,http://j:1,http://k:1,http://l:1,http://m:1,http://n:1,http://o:1,http://p:1,http://q:1"} {
		if _, err := ServerURLs(bad); err == nil {
			t.Errorf("ServerURLs(%q) accepted", bad)
		}
	}
}
