// Package settings reads a program's settings the one way the server, the
// kiosk and the display all read theirs (docs/CONFIG.md): each setting has
// a key; the value comes from, in increasing priority, its default, an
// optional JSON config file (the key, e.g. "token_file"), CIVIQ_*
// environment variables and a command-line flag (the key with dashes,
// e.g. --token-file). An empty environment variable counts as unset.
//
// A config file is one JSON object; durations are Go duration strings
// ("20s", "1h30m"). A key the program does not know is an error naming
// it, so a typo never passes for a setting.
//
// A Set is built per parse and holds no package-level state; it may import
// nothing of CiviQ and is imported by the three programs' config packages.
package settings

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Set is the settings of one program: declare them (String, Bool, Int,
// Float, Duration, ConfigFile), then Parse.
type Set struct {
	fs        *flag.FlagSet
	list      []*setting
	byKey     map[string]*setting
	file      string // --config
	fileEnv   string
	keyValue  bool
	fileRead  string
	warnings  []string
	configSet bool
}

// kind is the JSON type a setting takes in a config file.
type kind int

const (
	kindString kind = iota
	kindBool
	kindInt
	kindFloat
	kindDuration
)

type setting struct {
	key   string
	env   []string
	kind  kind
	set   func(string) error // parses a string value into the target
	check func(string) error // parses without storing (flag values)
	flag  *flagValue
}

// flagValue records a flag's value; it is stored into the target only after
// the file and the environment, so that the flag wins.
type flagValue struct {
	s      *setting
	def    string
	raw    string
	given  bool
	isBool bool
}

func (v *flagValue) String() string {
	if v == nil {
		return ""
	}
	if v.given {
		return v.raw
	}
	return v.def
}

func (v *flagValue) Set(s string) error {
	if err := v.s.check(s); err != nil {
		return err
	}
	v.raw, v.given = s, true
	return nil
}

func (v *flagValue) IsBoolFlag() bool { return v.isBool }

// New returns an empty Set for the named program ("server", "kiosk",
// "display"); flag errors and -h go to stderr.
func New(program string, stderr io.Writer) *Set {
	fs := flag.NewFlagSet(program, flag.ContinueOnError)
	fs.SetOutput(stderr)
	s := &Set{fs: fs, byKey: map[string]*setting{}}
	fs.Usage = s.usage
	return s
}

// usage prints the flags as flag.PrintDefaults does, naming each value by
// its kind ("--idle duration") and the config file's as "file".
func (s *Set) usage() {
	out := s.fs.Output()
	fmt.Fprintf(out, "Usage of %s:\n", s.fs.Name())
	s.fs.VisitAll(func(f *flag.Flag) {
		arg := "file"
		if st, ok := s.byKey[strings.ReplaceAll(f.Name, "-", "_")]; ok {
			arg = [...]string{kindString: "string", kindBool: "", kindInt: "int", kindFloat: "number", kindDuration: "duration"}[st.kind]
		}
		line := "  --" + f.Name
		if arg != "" {
			line += " " + arg
		}
		line += "\n    \t" + f.Usage
		if f.DefValue != "" {
			line += " (default " + f.DefValue + ")"
		}
		fmt.Fprintln(out, line)
	})
}

// ConfigFile adds --config FILE (and the environment variable env naming the
// same file): the optional JSON config file.
func (s *Set) ConfigFile(env string) {
	s.fileEnv = env
	s.fs.Func("config", "JSON config file, keys as listed in docs/CONFIG.md (env "+env+")", func(v string) error {
		s.file, s.configSet = v, true
		return nil
	})
}

// AllowKeyValueFile makes Parse also read the older config-file format of
// "key = value" lines ("#" comments, dashes or underscores in keys), with a
// deprecation warning (Warnings) that shows the same settings as JSON. A
// file whose first character other than white space is "{" is JSON.
func (s *Set) AllowKeyValueFile() { s.keyValue = true }

// FlagName is a key's command-line flag: the key with dashes.
func FlagName(key string) string { return strings.ReplaceAll(key, "_", "-") }

func (s *Set) add(key string, k kind, def string, usage string, env []string, set, check func(string) error) {
	if _, dup := s.byKey[key]; dup || key == "config" {
		panic("settings: key " + key + " declared twice")
	}
	st := &setting{key: key, env: env, kind: k, set: set, check: check}
	st.flag = &flagValue{s: st, def: def, isBool: k == kindBool}
	if len(env) > 0 {
		usage += " (env " + strings.Join(env, ", ") + ")"
	}
	s.fs.Var(st.flag, FlagName(key), usage)
	s.list = append(s.list, st)
	s.byKey[key] = st
}

func parser[T any](p *T, parse func(string) (T, error)) (set, check func(string) error) {
	set = func(v string) error {
		x, err := parse(v)
		if err != nil {
			return err
		}
		*p = x
		return nil
	}
	check = func(v string) error {
		_, err := parse(v)
		return err
	}
	return set, check
}

// String declares a text setting; *p holds its default. env lists the
// environment variables read, a later one beating an earlier one.
func (s *Set) String(p *string, key, usage string, env ...string) {
	set, check := parser(p, func(v string) (string, error) { return v, nil })
	s.add(key, kindString, *p, usage, env, set, check)
}

// Bool declares a true/false setting (true, false, 1, 0, t, f).
func (s *Set) Bool(p *bool, key, usage string, env ...string) {
	set, check := parser(p, ParseBool)
	def := ""
	if *p {
		def = "true"
	}
	s.add(key, kindBool, def, usage, env, set, check)
}

// Int declares a whole-number setting.
func (s *Set) Int(p *int, key, usage string, env ...string) {
	set, check := parser(p, parseInt)
	s.add(key, kindInt, zeroless(*p == 0, strconv.Itoa(*p)), usage, env, set, check)
}

// Float declares a number setting.
func (s *Set) Float(p *float64, key, usage string, env ...string) {
	set, check := parser(p, parseFloat)
	s.add(key, kindFloat, zeroless(*p == 0, strconv.FormatFloat(*p, 'g', -1, 64)), usage, env, set, check)
}

// Duration declares a duration setting, written as a Go duration ("20s",
// "1h30m") everywhere; a config file may also give a number of seconds,
// with a deprecation warning (older kiosk files did).
func (s *Set) Duration(p *time.Duration, key, usage string, env ...string) {
	set, check := parser(p, parseDuration)
	s.add(key, kindDuration, zeroless(*p == 0, p.String()), usage, env, set, check)
}

func zeroless(zero bool, s string) string {
	if zero {
		return ""
	}
	return s
}

// ParseBool reads true/false, 1/0, t/f in any case.
func ParseBool(v string) (bool, error) {
	b, err := strconv.ParseBool(v)
	if err != nil {
		return false, fmt.Errorf("%q is not true or false", v)
	}
	return b, nil
}

func parseInt(v string) (int, error) {
	n, err := strconv.Atoi(strings.TrimSpace(v))
	if err != nil {
		return 0, fmt.Errorf("%q is not a whole number", v)
	}
	return n, nil
}

func parseFloat(v string) (float64, error) {
	f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
	if err != nil {
		return 0, fmt.Errorf("%q is not a number", v)
	}
	return f, nil
}

func parseDuration(v string) (time.Duration, error) {
	d, err := time.ParseDuration(strings.TrimSpace(v))
	if err != nil {
		return 0, fmt.Errorf("%q is not a duration such as 20s or 1h30m", v)
	}
	return d, nil
}

// Parse reads args (without the program name), then the config file (read
// with readFile), then the environment (getenv), and applies them over the
// defaults in the order file, environment, flags. Errors name the flag,
// the variable or the file and key at fault.
func (s *Set) Parse(args []string, getenv func(string) string, readFile func(string) ([]byte, error)) error {
	if err := s.fs.Parse(args); err != nil {
		return err
	}
	if s.fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q", s.fs.Arg(0))
	}
	file := s.file
	if !s.configSet && s.fileEnv != "" {
		file = getenv(s.fileEnv)
	}
	if file != "" {
		b, err := readFile(file)
		if err != nil {
			return fmt.Errorf("config file: %w", err)
		}
		if err := s.decodeFile(b); err != nil {
			return fmt.Errorf("config file %s: %w", file, err)
		}
		s.fileRead = file
	}
	for _, st := range s.list {
		for _, name := range st.env {
			if v := getenv(name); v != "" {
				if err := st.set(v); err != nil {
					return fmt.Errorf("%s: %w", name, err)
				}
			}
		}
	}
	for _, st := range s.list {
		if st.flag.given {
			if err := st.set(st.flag.raw); err != nil {
				return fmt.Errorf("--%s: %w", FlagName(st.key), err)
			}
		}
	}
	return nil
}

// File is the config file Parse read ("" for none).
func (s *Set) File() string { return s.fileRead }

// Warnings are what Parse accepted but the user should change (an old file
// format, a duration in seconds); the program logs them.
func (s *Set) Warnings() []string { return slices.Clone(s.warnings) }

func (s *Set) decodeFile(b []byte) error {
	b = bytes.TrimPrefix(b, []byte("\ufeff")) // the byte-order mark older Notepads write
	trimmed := bytes.TrimLeft(b, " \t\r\n")
	if s.keyValue && (len(trimmed) == 0 || trimmed[0] != '{') {
		return s.decodeKeyValue(b)
	}
	return s.decodeJSON(b)
}

// decodeJSON applies a JSON config file to the declared settings, in the
// file's order; the first unknown key, repeated key or bad value fails it.
func (s *Set) decodeJSON(b []byte) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	tok, err := dec.Token()
	if err != nil {
		return fmt.Errorf("not JSON: %w", err)
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return errors.New(`want a JSON object: { "key": value, … }`)
	}
	seen := map[string]bool{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return fmt.Errorf("not JSON: %w", err)
		}
		key, _ := tok.(string)
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return fmt.Errorf("key %q: not JSON: %w", key, err)
		}
		st, ok := s.byKey[key]
		if !ok {
			// The kiosk's files were read by encoding/json, which matches
			// keys in any case: "Server" still means server.
			if st, ok = s.byKey[strings.ToLower(key)]; ok {
				s.warnings = append(s.warnings, fmt.Sprintf("config file key %q in another case is deprecated; write %q", key, st.key))
			}
		}
		if !ok {
			return fmt.Errorf("unknown key %q (the keys are listed in docs/CONFIG.md)", key)
		}
		if seen[st.key] {
			return fmt.Errorf("key %q given twice", st.key)
		}
		seen[st.key] = true
		if string(raw) == "null" {
			continue // as if absent, as an empty environment variable is
		}
		if err := s.setJSON(st, raw); err != nil {
			return fmt.Errorf("key %q: %w", key, err)
		}
	}
	if _, err := dec.Token(); err != nil {
		return fmt.Errorf("not JSON: %w", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return errors.New("trailing data after the JSON object")
	}
	return nil
}

func (s *Set) setJSON(st *setting, raw json.RawMessage) error {
	var first byte
	if len(raw) > 0 {
		first = raw[0] // json.Decoder gives a value without leading space
	}
	isNumber := first == '-' || first >= '0' && first <= '9'
	switch st.kind {
	case kindBool:
		var b bool
		if first != 't' && first != 'f' || json.Unmarshal(raw, &b) != nil {
			return fmt.Errorf("want true or false, not %s", raw)
		}
		return st.set(strconv.FormatBool(b))
	case kindInt, kindFloat:
		if !isNumber {
			return fmt.Errorf("want a number, not %s", raw)
		}
		return st.set(string(raw))
	case kindDuration:
		if isNumber {
			f, err := strconv.ParseFloat(string(raw), 64)
			if err != nil || f < -1e9 || f > 1e9 {
				return fmt.Errorf("%s is not a number of seconds", raw)
			}
			d := time.Duration(f * float64(time.Second))
			s.warnings = append(s.warnings, fmt.Sprintf("config file key %q: a number of seconds is deprecated; write %q", st.key, d.String()))
			return st.set(d.String())
		}
	}
	var v string
	if first != '"' || json.Unmarshal(raw, &v) != nil {
		if st.kind == kindDuration {
			return fmt.Errorf(`want a duration such as "20s", not %s`, raw)
		}
		return fmt.Errorf("want a string, not %s", raw)
	}
	return st.set(v)
}

// decodeKeyValue reads the older "key = value" format and warns with the
// same settings written as JSON.
func (s *Set) decodeKeyValue(b []byte) error {
	sc := bufio.NewScanner(bytes.NewReader(b))
	var keys []string
	vals := map[string]any{}
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		if !ok {
			return fmt.Errorf("line %d: want key = value", n)
		}
		k = strings.ReplaceAll(strings.TrimSpace(k), "-", "_")
		v = strings.Trim(strings.TrimSpace(v), `"`)
		st, ok := s.byKey[k]
		if !ok {
			return fmt.Errorf("line %d: unknown key %q (the keys are listed in docs/CONFIG.md)", n, k)
		}
		if err := st.set(v); err != nil {
			return fmt.Errorf("line %d: %s: %w", n, k, err)
		}
		if _, dup := vals[k]; !dup {
			keys = append(keys, k)
		}
		vals[k] = jsonValue(st.kind, v)
	}
	if err := sc.Err(); err != nil {
		return err
	}
	var js strings.Builder
	js.WriteString("{")
	for i, k := range keys {
		if i > 0 {
			js.WriteString(", ")
		}
		kb, _ := json.Marshal(k)
		vb, _ := json.Marshal(vals[k])
		fmt.Fprintf(&js, "%s: %s", kb, vb)
	}
	js.WriteString("}")
	s.warnings = append(s.warnings, "the config file is in the old \"key = value\" format, still read but deprecated; "+
		"write it as JSON (docs/CONFIG.md): "+js.String())
	return nil
}

// jsonValue is a value already accepted by its setting, as JSON would give it.
func jsonValue(k kind, v string) any {
	switch k {
	case kindBool:
		b, _ := ParseBool(v)
		return b
	case kindInt:
		n, _ := parseInt(v)
		return n
	case kindFloat:
		f, _ := parseFloat(v)
		return f
	}
	return v
}

// ServerURLs reads a setting holding one or more server addresses
// separated by commas ("http://10.0.0.2:8080,http://10.0.0.3:8080": the
// instances of one centre, tried in that order). Each must be
// http(s)://host[:port] with nothing else but an optional path; empty
// entries and repeats are refused, and at most 16 are taken.
func ServerURLs(v string) ([]string, error) {
	var out []string
	for _, part := range strings.Split(v, ",") {
		a := strings.TrimRight(strings.TrimSpace(part), "/")
		if a == "" {
			return nil, fmt.Errorf("server %q: an empty address in the list", v)
		}
		u, err := url.Parse(a)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil || u.RawQuery != "" || u.Fragment != "" {
			return nil, fmt.Errorf("server %q must be http(s)://host[:port]", a)
		}
		if slices.Contains(out, a) {
			return nil, fmt.Errorf("server %q is listed twice", a)
		}
		out = append(out, a)
	}
	if len(out) > 16 {
		return nil, fmt.Errorf("server: %d addresses, at most 16", len(out))
	}
	return out, nil
}
