package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

// TestRunRefusesBadConfig: a display without a token or with a bad setting
// stops at once with a message that says what to do, before opening a
// window.
func TestRunRefusesBadConfig(t *testing.T) {
	for _, c := range []struct {
		args []string
		env  map[string]string
		want string
	}{
		{nil, nil, "no device token"},
		{[]string{"--token", "t", "--lang", "de"}, nil, "lang"},
		{[]string{"--token-file", "/nonexistent/display.token"}, nil, "token file"},
		{nil, map[string]string{"CIVIQ_DISPLAY_TOKEN": "t", "CIVIQ_SERVER": "not a url"}, "server"},
	} {
		var out, errb bytes.Buffer
		err := run(context.Background(), c.args, func(k string) string { return c.env[k] }, &out, &errb)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("run(%v, %v) = %v, want an error about %q", c.args, c.env, err, c.want)
		}
	}
}
