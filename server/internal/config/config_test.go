package config

import (
	"io"
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
		"not json":          `{`,
		"unknown field":     `{"nme":{"vi":"x"}}`,
		"no name":           `{"services":[]}`,
		"no services":       `{"name":{"vi":"TT"},"services":[]}`,
		"bad tz":            strings.Replace(base, "%s", `,"timezone":"Mars/Olympus"`, 1),
		"bad read":          strings.Replace(base, "%s", `,"read_numbers":"roman"`, 1),
		"bad hours":         strings.Replace(base, "%s", `,"hours":{"mon":["9-5"]}`, 1),
		"unserved field":    `{"name":{"vi":"TT"},"services":[{"id":"a","prefix":"A","name":{"vi":"A"}},{"id":"b","prefix":"B","name":{"vi":"B"}}],"counters":[{"id":"q1","number":1,"name":{"vi":"Q1"},"service_ids":["a"]}]}`,
		"dup prefix":        `{"name":{"vi":"TT"},"services":[{"id":"a","prefix":"A","name":{"vi":"A"}},{"id":"b","prefix":"A","name":{"vi":"B"}}],"counters":[{"id":"q1","number":1,"name":{"vi":"Q1"},"service_ids":["a","b"]}]}`,
		"unknown svc":       `{"name":{"vi":"TT"},"services":[{"id":"a","prefix":"A","name":{"vi":"A"}}],"counters":[{"id":"q1","number":1,"name":{"vi":"Q1"},"service_ids":["a","zz"]}]}`,
		"dup counter num":   `{"name":{"vi":"TT"},"services":[{"id":"a","prefix":"A","name":{"vi":"A"}}],"counters":[{"id":"q1","number":1,"name":{"vi":"Q1"},"service_ids":["a"]},{"id":"q2","number":1,"name":{"vi":"Q2"},"service_ids":["a"]}]}`,
		"user bad counter":  strings.Replace(base, "%s", `,"users":[{"username":"x","role":"clerk","counter_ids":["q9"]}]`, 1),
		"user bad role":     strings.Replace(base, "%s", `,"users":[{"username":"x","role":"boss"}]`, 1),
		"trailing":          strings.Replace(base, "%s", "", 1) + `{}`,
		"bad priority rule": strings.Replace(strings.Replace(base, "%s", "", 1), `"name":{"vi":"A"}}`, `"name":{"vi":"A"},"priority_rule":"alternate"}`, 1),
		"interleave no N":   strings.Replace(strings.Replace(base, "%s", "", 1), `"name":{"vi":"A"}}`, `"name":{"vi":"A"},"priority_rule":"interleave"}`, 1),
		"empty group":       `{"name":{"vi":"TT"},"services":[{"id":"a","prefix":"A","name":{"vi":"A"},"group":{"vi":" ","en":""}}],"counters":[{"id":"q1","number":1,"name":{"vi":"Q1"},"service_ids":["a"]}]}`,
	}
	for name, in := range cases {
		if _, err := ParseCentre([]byte(in)); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	c, err := ParseCentre([]byte(strings.Replace(strings.Replace(base, "%s", "", 1), `"name":{"vi":"A"}}`, `"name":{"vi":"A"},"priority_rule":"interleave","priority_every":3}`, 1)))
	if err != nil {
		t.Fatal(err)
	}
	if s := c.ProtocolServices()[0]; s.PriorityRule != "interleave" || s.PriorityEvery != 3 {
		t.Fatalf("priority rule from the centre file: %q %d", s.PriorityRule, s.PriorityEvery)
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
