package queue

import (
	"strings"
	"testing"

	"github.com/civiq/civiq/server/protocol"
)

func TestAdminText(t *testing.T) {
	cases := []struct {
		in       string
		max      int
		required bool
		want     string
		bad      bool
	}{
		{"  Quầy 1  ", 120, true, "Quầy 1", false},
		{"Sở Lao động – Thương binh và Xã hội", 120, true, "Sở Lao động – Thương binh và Xã hội", false},
		{"Đất\u200fđai", 120, true, "Đất\u200fđai", false}, // a plain RLM mark is harmless
		{"", 120, false, "", false},
		{"   ", 120, true, "", true},
		{"a\x00b", 120, true, "", true},
		{"a\x1b[2Jb", 120, true, "", true},
		{"a\u0085b", 120, true, "", true}, // C1 control
		{"a\nb", 120, true, "", true},
		{"\u202aa", 120, true, "", true},
		{"a\u202e", 120, true, "", true},
		{"a\u2066b", 120, true, "", true},
		{"a\u2069", 120, true, "", true},
		{strings.Repeat("ư", 120), 120, true, strings.Repeat("ư", 120), false},
		{strings.Repeat("ư", 121), 120, true, "", true},
		{"\xff", 120, false, "", true},
	}
	for _, c := range cases {
		got, err := AdminText("name", c.in, c.max, c.required)
		if c.bad {
			if CodeOf(err) != protocol.CodeBadRequest || !strings.HasPrefix(err.(*Error).Message, "name: ") {
				t.Errorf("%q: %v, want a 400 naming the field", c.in, err)
			}
			continue
		}
		if err != nil || got != c.want {
			t.Errorf("%q: %q, %v; want %q", c.in, got, err, c.want)
		}
	}
}
