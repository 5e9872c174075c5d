package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestRunRefusesBadSetups: run stops with a clear error, before opening a
// window, when the configuration or the spool cannot work.
func TestRunRefusesBadSetups(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad")
	os.MkdirAll(bad, 0o700)
	os.WriteFile(filepath.Join(bad, "spool.json"), []byte("{"), 0o600)
	for _, c := range []struct {
		name string
		args []string
		want string
	}{
		{"no server", []string{"--token", "t", "--spool", dir}, "server URL is required"},
		{"bad printer", []string{"--server", "http://127.0.0.1:1", "--token", "t", "--spool", dir, "--printer", "lpt1"}, "printer"},
		{"damaged spool", []string{"--server", "http://127.0.0.1:1", "--token", "t", "--spool", bad, "--printer", "dir:" + dir}, "damaged"},
	} {
		var out, errb bytes.Buffer
		err := run(context.Background(), c.args, func(string) string { return "" }, &out, &errb)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want an error about %q", c.name, err, c.want)
		}
	}
}
