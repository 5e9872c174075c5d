package webhook

import (
	"encoding/base64"
	"strings"
	"testing"
	"time"
)

// The example of the Standard Webhooks specification.
func TestSignStandardExample(t *testing.T) {
	got, err := Sign("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, []byte(`{"test": 2432232314}`))
	if err != nil {
		t.Fatal(err)
	}
	if want := "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="; got != want {
		t.Fatalf("signature %s, want %s", got, want)
	}
	now := time.Unix(1614265330, 0)
	if err := Verify("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "msg_p5jXN8AQM9LWM0D4loKWxJek", "1614265330", "v1,bogus "+got, []byte(`{"test": 2432232314}`), now, 5*time.Minute); err != nil {
		t.Fatal(err)
	}
	if err := Verify("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "msg_p5jXN8AQM9LWM0D4loKWxJek", "1614265330", got, []byte(`{"test": 2432232315}`), now, 5*time.Minute); err == nil {
		t.Fatal("a changed body verified")
	}
	if err := Verify("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "msg_p5jXN8AQM9LWM0D4loKWxJek", "1614265330", got, []byte(`{"test": 2432232314}`), now.Add(time.Hour), 5*time.Minute); err == nil {
		t.Fatal("an old timestamp verified")
	}
}

func TestNewSecret(t *testing.T) {
	a, b := NewSecret(), NewSecret()
	if a == b || !strings.HasPrefix(a, "whsec_") {
		t.Fatalf("secrets %q %q", a, b)
	}
	key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(a, "whsec_"))
	if err != nil || len(key) != 32 {
		t.Fatalf("key %d bytes, %v", len(key), err)
	}
}

func TestMatches(t *testing.T) {
	for _, c := range []struct {
		filter []string
		typ    string
		want   bool
	}{
		{nil, "ticket.called", true},
		{[]string{"ticket.*"}, "ticket.called", true},
		{[]string{"ticket.*"}, "disruption.started", false},
		{[]string{"ticket.*", "disruption.*"}, "disruption.started", true},
		{[]string{"ticket.done"}, "ticket.done", true},
		{[]string{"ticket.done"}, "ticket.called", false},
		{[]string{"*"}, "counter.updated", true},
	} {
		if got := Matches(c.filter, c.typ); got != c.want {
			t.Errorf("Matches(%v, %s) = %v", c.filter, c.typ, got)
		}
	}
}

func TestValidate(t *testing.T) {
	good := []Request{
		{URL: "https://motcua.example.gov.vn/civiq"},
		{URL: "http://192.168.1.20:8080/hook", Events: []string{"ticket.*", "disruption.*"}},
		{URL: "http://127.0.0.1:9/x", Events: []string{}},
	}
	for _, r := range good {
		if _, err := r.Validate(); err != nil {
			t.Errorf("%+v: %v", r, err)
		}
	}
	bad := []Request{
		{URL: ""}, {URL: "ftp://x/y"}, {URL: "/relative"}, {URL: "https://"}, {URL: "https://x/#frag"},
		{URL: "https://x/", Events: []string{"Ticket.*"}}, {URL: "https://x/", Events: []string{"ticket.["}},
		{URL: "https://x/", Events: []string{""}}, {URL: "https://x/" + strings.Repeat("a", 2000)},
	}
	for _, r := range bad {
		if _, err := r.Validate(); err == nil {
			t.Errorf("%+v accepted", r)
		}
	}
}

func TestBackoff(t *testing.T) {
	want := []time.Duration{time.Second, 2 * time.Second, 4 * time.Second, 8 * time.Second}
	for i, w := range want {
		if got := Backoff(i + 1); got != w {
			t.Errorf("Backoff(%d) = %v, want %v", i+1, got, w)
		}
	}
	if Backoff(10) != 8*time.Minute+32*time.Second || Backoff(11) != MaxBackoff || Backoff(1000) != MaxBackoff {
		t.Errorf("cap: %v %v %v", Backoff(10), Backoff(11), Backoff(1000))
	}
	// Retries go on for at least 24 h: the attempts never stop, and 24 h
	// of them at the cap is about 150.
	var total time.Duration
	n := 0
	for total < 24*time.Hour {
		n++
		total += Backoff(n)
	}
	if n > 200 {
		t.Errorf("%d attempts in the first 24 h", n)
	}
}
