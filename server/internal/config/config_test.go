package config

import (
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/civiq/civiq/assets"
)

func TestDemoCentre(t *testing.T) {
	b, err := assets.FS.ReadFile("demo/centre.json")
	if err != nil {
		t.Fatal(err)
	}
	c, err := ParseCentre(b)
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Services) != 8 || len(c.Counters) != 8 {
		t.Fatalf("%d services, %d counters", len(c.Services), len(c.Counters))
	}
	loc, _ := c.Location()
	if loc.String() != "Asia/Ho_Chi_Minh" {
		t.Fatal(loc)
	}
	for _, d := range []string{"mon", "tue", "wed", "thu", "fri", "sat", "sun"} {
		if h := c.Hours[d]; len(h) != 1 || h[0] != "00:00-24:00" {
			t.Fatalf("demo centre is not open around the clock on %s: %v", d, h)
		}
	}
}

func TestParseCentreErrors(t *testing.T) {
	base := `{"name":{"vi":"TT"},"services":[{"id":"a","prefix":"A","name":{"vi":"A"}}],"counters":[{"id":"q1","number":1,"name":{"vi":"Q1"},"service_ids":["a"]}]%s}`
	if _, err := ParseCentre([]byte(strings.Replace(base, "%s", "", 1))); err != nil {
		t.Fatal(err)
	}
	cases := map[string]string{
		"not json":            `{`,
		"unknown field":       `{"nme":{"vi":"x"}}`,
		"no name":             `{"services":[]}`,
		"no services":         `{"name":{"vi":"TT"},"services":[]}`,
		"bad tz":              strings.Replace(base, "%s", `,"timezone":"Mars/Olympus"`, 1),
		"bad read":            strings.Replace(base, "%s", `,"read_numbers":"roman"`, 1),
		"bad hours":           strings.Replace(base, "%s", `,"hours":{"mon":["9-5"]}`, 1),
		"unserved field":      `{"name":{"vi":"TT"},"services":[{"id":"a","prefix":"A","name":{"vi":"A"}},{"id":"b","prefix":"B","name":{"vi":"B"}}],"counters":[{"id":"q1","number":1,"name":{"vi":"Q1"},"service_ids":["a"]}]}`,
		"dup prefix":          `{"name":{"vi":"TT"},"services":[{"id":"a","prefix":"A","name":{"vi":"A"}},{"id":"b","prefix":"A","name":{"vi":"B"}}],"counters":[{"id":"q1","number":1,"name":{"vi":"Q1"},"service_ids":["a","b"]}]}`,
		"unknown svc":         `{"name":{"vi":"TT"},"services":[{"id":"a","prefix":"A","name":{"vi":"A"}}],"counters":[{"id":"q1","number":1,"name":{"vi":"Q1"},"service_ids":["a","zz"]}]}`,
		"dup counter num":     `{"name":{"vi":"TT"},"services":[{"id":"a","prefix":"A","name":{"vi":"A"}}],"counters":[{"id":"q1","number":1,"name":{"vi":"Q1"},"service_ids":["a"]},{"id":"q2","number":1,"name":{"vi":"Q2"},"service_ids":["a"]}]}`,
		"user bad counter":    strings.Replace(base, "%s", `,"users":[{"username":"x","role":"clerk","counter_ids":["q9"]}]`, 1),
		"user bad role":       strings.Replace(base, "%s", `,"users":[{"username":"x","role":"boss"}]`, 1),
		"trailing":            strings.Replace(base, "%s", "", 1) + `{}`,
		"bad priority rule":   strings.Replace(strings.Replace(base, "%s", "", 1), `"name":{"vi":"A"}}`, `"name":{"vi":"A"},"priority_rule":"alternate"}`, 1),
		"interleave no N":     strings.Replace(strings.Replace(base, "%s", "", 1), `"name":{"vi":"A"}}`, `"name":{"vi":"A"},"priority_rule":"interleave"}`, 1),
		"bad booked position": strings.Replace(strings.Replace(base, "%s", "", 1), `"name":{"vi":"A"}}`, `"name":{"vi":"A"},"booked_position":"last"}`, 1),
		"empty group":         `{"name":{"vi":"TT"},"services":[{"id":"a","prefix":"A","name":{"vi":"A"},"group":{"vi":" ","en":""}}],"counters":[{"id":"q1","number":1,"name":{"vi":"Q1"},"service_ids":["a"]}]}`,
	}
	for name, in := range cases {
		if _, err := ParseCentre([]byte(in)); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	c, err := ParseCentre([]byte(strings.Replace(strings.Replace(base, "%s", "", 1), `"name":{"vi":"A"}}`, `"name":{"vi":"A"},"priority_rule":"interleave","priority_every":3,"booked_position":"in_line"}`, 1)))
	if err != nil {
		t.Fatal(err)
	}
	if s := c.ProtocolServices()[0]; s.PriorityRule != "interleave" || s.PriorityEvery != 3 || s.BookedPosition != "in_line" {
		t.Fatalf("priority rule from the centre file: %q %d, booked %q", s.PriorityRule, s.PriorityEvery, s.BookedPosition)
	}
}

func FuzzParseCentre(f *testing.F) {
	b, _ := assets.FS.ReadFile("demo/centre.json")
	f.Add(b)
	f.Add([]byte(`{"name":{"vi":"x"},"services":[{"id":"a","prefix":"A","name":{"vi":"A"},"hours":{"mon":["00:00-24:00"]}}],"counters":[{"id":"q","number":1,"name":{"vi":"Q"},"service_ids":["a"]}]}`))
	f.Fuzz(func(t *testing.T, in []byte) {
		c, err := ParseCentre(in)
		if err != nil {
			return
		}
		// Whatever is accepted is usable.
		if _, err := c.Location(); err != nil {
			t.Fatal(err)
		}
		if len(c.ProtocolServices()) == 0 {
			t.Fatal("accepted a centre without services")
		}
	})
}

func TestParseFlagsAndEnv(t *testing.T) {
	env := map[string]string{"CIVIQ_ADDR": "0.0.0.0:9000", "CIVIQ_ADMIN_PASSWORD": "pw", "CIVIQ_EVENT_RETENTION": "48h"}
	c, err := Parse([]string{"--data", "/tmp/x"}, func(k string) string { return env[k] }, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if c.Addr != "0.0.0.0:9000" || c.DataDir != "/tmp/x" || c.AdminPassword != "pw" || c.EventRetention != 48*time.Hour {
		t.Fatalf("%+v", c)
	}
	c, err = Parse([]string{"--addr", "127.0.0.1:1"}, func(k string) string { return env[k] }, io.Discard)
	if err != nil || c.Addr != "127.0.0.1:1" {
		t.Fatalf("flag over env: %+v %v", c, err)
	}
	for _, args := range [][]string{{"--db", "mysql://x"}, {"--public-url", "ftp://x"}, {"--log-level", "loud"}, {"extra"}, {"--event-retention", "1m"}} {
		if _, err := Parse(args, func(string) string { return "" }, io.Discard); err == nil {
			t.Errorf("%v accepted", args)
		}
	}
}

// TestDemoCentreServesEveryField: outside clients issue tickets on the demo
// centre without any clerk, so every field must be served by some counter
// (a field no counter serves is closed, reason no_counter), and counters
// start closed (open means staffed).
func TestDemoCentreServesEveryField(t *testing.T) {
	b, err := assets.FS.ReadFile("demo/centre.json")
	if err != nil {
		t.Fatal(err)
	}
	c, err := ParseCentre(b)
	if err != nil {
		t.Fatal(err)
	}
	served := map[string]bool{}
	for _, k := range c.ProtocolCounters() {
		if k.Status != "closed" {
			t.Errorf("counter %s starts %s, want closed until a clerk signs in", k.ID, k.Status)
		}
		for _, id := range k.ServiceIDs {
			served[id] = true
		}
	}
	for _, s := range c.ProtocolServices() {
		if !served[s.ID] && !s.AcceptUnserved {
			t.Errorf("demo field %s: no counter serves it", s.ID)
		}
	}
}

// TestCentreGroupsAndUnserved: a field's group and accept_unserved reach the
// protocol service; an unserved field is accepted only with accept_unserved.
func TestCentreGroupsAndUnserved(t *testing.T) {
	in := `{"name":{"vi":"TT"},"services":[
		{"id":"a","prefix":"A","name":{"vi":"Cấp phép xây dựng"},"group":{"vi":"Sở Xây dựng","en":"Department of Construction"}},
		{"id":"b","prefix":"B","name":{"vi":"Hỏi đáp"},"accept_unserved":true}],
		"counters":[{"id":"q1","number":1,"name":{"vi":"Q1"},"service_ids":["a"]}]}`
	c, err := ParseCentre([]byte(in))
	if err != nil {
		t.Fatal(err)
	}
	svcs := c.ProtocolServices()
	if g := svcs[0].Group; g == nil || g.Vi != "Sở Xây dựng" || g.En != "Department of Construction" {
		t.Fatalf("group %+v", g)
	}
	if svcs[0].AcceptUnserved || svcs[1].Group != nil || !svcs[1].AcceptUnserved {
		t.Fatalf("services %+v", svcs)
	}
}

// TestParseFile: the optional JSON config file (--config or
// CIVIQ_SERVER_CONFIG) is beaten by the environment, which is beaten by
// flags; unknown keys and bad values are refused naming them.
func TestParseFile(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "server.json")
	os.WriteFile(file, []byte(`{"addr": "127.0.0.1:7000", "data": "/var/lib/x", "public_url": "http://hall.example:7000",
		"trust_proxy": true, "log_level": "debug", "event_retention": "48h", "login_rate": -1, "demo_history": 5, "shutdown_timeout": "3s"}`), 0o600)
	noEnv := func(string) string { return "" }
	c, err := Parse([]string{"--config", file}, noEnv, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if c.Addr != "127.0.0.1:7000" || c.DataDir != "/var/lib/x" || c.PublicURL != "http://hall.example:7000" || !c.TrustProxy ||
		c.LogLevel != slog.LevelDebug || c.EventRetention != 48*time.Hour || c.LoginPerMinute != -1 || c.DemoHistory != 5 ||
		c.ShutdownTimeout != 3*time.Second || c.File != file {
		t.Fatalf("from the file: %+v", c)
	}
	env := map[string]string{"CIVIQ_SERVER_CONFIG": file, "CIVIQ_ADDR": ":9001", "CIVIQ_TRUST_PROXY": "false", "CIVIQ_LOGIN_RATE": "30"}
	c, err = Parse([]string{"--login-rate", "5"}, func(k string) string { return env[k] }, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if c.Addr != ":9001" || c.TrustProxy || c.LoginPerMinute != 5 || c.DataDir != "/var/lib/x" {
		t.Fatalf("file < env < flag: %+v", c)
	}
	// Defaults, unchanged by the loader.
	c, err = Parse(nil, noEnv, io.Discard)
	if err != nil || c.Addr != ":8080" || c.DataDir != "./data" || c.EventRetention != 2160*time.Hour ||
		c.ShutdownTimeout != 10*time.Second || c.LogLevel != slog.LevelInfo || c.File != "" {
		t.Fatalf("defaults: %+v %v", c, err)
	}
	for content, want := range map[string]string{
		`{"addr": ":1", "admin_password": "x"}`: `unknown key "admin_password"`, // env only, never in a file or a flag
		`{"adr": ":1"}`:                         `unknown key "adr"`,
		`{"trust_proxy": "yes"}`:                `key "trust_proxy"`,
		`{"event_retention": "forever"}`:        `key "event_retention"`,
		`{"log_level": "loud"}`:                 "log level",
	} {
		os.WriteFile(file, []byte(content), 0o600)
		if _, err := Parse([]string{"--config", file}, noEnv, io.Discard); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v, want %q", content, err, want)
		}
	}
	for k, v := range map[string]string{"CIVIQ_TRUST_PROXY": "maybe", "CIVIQ_DEMO_HISTORY": "lots", "CIVIQ_EVENT_RETENTION": "90d", "CIVIQ_LOG_JSON": "yes please"} {
		_, err := Parse(nil, func(n string) string {
			if n == k {
				return v
			}
			return ""
		}, io.Discard)
		if err == nil || !strings.Contains(err.Error(), k) {
			t.Errorf("%s=%s: %v", k, v, err)
		}
	}
}

// FuzzConfigFile: any server config file is read or refused, never a panic;
// an accepted one gives a usable configuration.
func FuzzConfigFile(f *testing.F) {
	for _, s := range []string{`{"addr":":9000","event_retention":"48h","trust_proxy":true}`, `{"event_retention":7200}`,
		`{"log_level":"warn","login_rate":-1}`, `{"db":"mysql://x"}`, `{"demo_history":121}`, `[]`, `{`} {
		f.Add(s)
	}
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, s string) {
		p := filepath.Join(dir, "server.json")
		if err := os.WriteFile(p, []byte(s), 0o600); err != nil {
			t.Fatal(err)
		}
		c, err := parse([]string{"--config", p}, func(string) string { return "" }, io.Discard, func() []Iface { return nil })
		if err != nil {
			return
		}
		if c.EventRetention < time.Hour || c.DemoHistory < 0 || c.DemoHistory > 120 || c.PublicURL == "" || c.File != p {
			t.Fatalf("accepted an unusable config %+v", c)
		}
	})
}
