package config

import (
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func env(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

// TestPrecedence: flags beat env, env beats the file, the file beats defaults.
func TestPrecedence(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "kiosk.json")
	tokFile := filepath.Join(dir, "token")
	os.WriteFile(tokFile, []byte("file-token\n"), 0o600)
	os.WriteFile(file, []byte(`{"server":"http://file:1","token_file":"`+tokFile+`","paper":80,"lang":"en","idle":"45s","printer":"tcp://10.0.0.9:9100"}`), 0o600)
	c, err := Load([]string{"--config", file, "--lang", "vi"}, env(map[string]string{"CIVIQ_SERVER": "http://env:2", "HOME": dir, "CIVIQ_FULLSCREEN": "true"}), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if c.Server != "http://env:2" || c.Token != "file-token" || c.Paper != 80 || c.Lang != "vi" || c.Idle != 45*time.Second ||
		c.Printer != "tcp://10.0.0.9:9100" || !c.Fullscreen || c.Spool != dir+"/.local/state/civiq-kiosk" || c.Poll != time.Second || c.Lease != 20 {
		t.Fatalf("config %+v", c)
	}
}

func TestDefaultsAndRefusals(t *testing.T) {
	c, err := Load([]string{"--server", "http://h:1", "--token", "t", "--spool", "/s"}, env(nil), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Servers) != 1 || c.Servers[0] != "http://h:1" || c.Paper != 58 || c.Lang != "vi" || c.Printer != "dir:/s/printed" || c.Confirm != 8*time.Second || c.Idle != 20*time.Second || c.LargeText {
		t.Fatalf("defaults %+v", c)
	}
	for name, args := range map[string][]string{
		"no server":    {"--token", "t", "--spool", "/s"},
		"bad server":   {"--server", "ftp://h", "--token", "t", "--spool", "/s"},
		"server twice": {"--server", "http://h:1,http://h:1", "--token", "t", "--spool", "/s"},
		"empty server": {"--server", "http://h:1,", "--token", "t", "--spool", "/s"},
		"bad second":   {"--server", "http://h:1,h:2", "--token", "t", "--spool", "/s"},
		"no token":     {"--server", "http://h:1", "--spool", "/s"},
		"paper":        {"--server", "http://h:1", "--token", "t", "--spool", "/s", "--paper", "57"},
		"lang":         {"--server", "http://h:1", "--token", "t", "--spool", "/s", "--lang", "fr"},
		"lease":        {"--server", "http://h:1", "--token", "t", "--spool", "/s", "--lease", "1000"},
		"unknown flag": {"--server", "http://h:1", "--token", "t", "--bogus"},
		"argument":     {"--server", "http://h:1", "--token", "t", "extra"},
		"missing file": {"--config", "/nonexistent/kiosk.json"},
	} {
		if _, err := Load(args, env(nil), io.Discard); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	c, err = Load(nil, env(map[string]string{"CIVIQ_SERVER": "http://10.0.0.2:8080,http://10.0.0.3:8080", "CIVIQ_TOKEN": "t", "CIVIQ_SPOOL": "/s"}), io.Discard)
	if err != nil || len(c.Servers) != 2 || c.Servers[1] != "http://10.0.0.3:8080" {
		t.Fatalf("two instances: %q, %v", c.Servers, err)
	}
	if _, err := Load(nil, env(map[string]string{"CIVIQ_SERVER": "http://h", "CIVIQ_TOKEN": "t", "CIVIQ_SPOOL": "/s", "CIVIQ_IDLE": "soon"}), io.Discard); err == nil {
		t.Error("bad CIVIQ_IDLE accepted")
	}
}

// FuzzConfigFile: any config file is read or refused, never a panic.
func FuzzConfigFile(f *testing.F) {
	for _, s := range []string{`{"server":"http://h:1","token":"t","idle":30}`, `{"paper":"80"}`, `{"idle":"x"}`, `[]`, `{`} {
		f.Add(s)
	}
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, s string) {
		p := filepath.Join(dir, "c.json")
		if err := os.WriteFile(p, []byte(s), 0o600); err != nil {
			t.Fatal(err)
		}
		c, err := Load([]string{"--config", p, "--spool", "/s"}, env(nil), io.Discard)
		if err == nil && (c.Server == "" || c.Token == "" || (c.Paper != 58 && c.Paper != 80)) {
			t.Fatalf("accepted an incomplete config %+v", c)
		}
	})
}

// TestLargeText: large text by default from the file, the env or the flag.
func TestLargeText(t *testing.T) {
	base := []string{"--server", "http://h:1", "--token", "t", "--spool", "/s"}
	c, err := Load(append(base, "--large-text"), env(nil), io.Discard)
	if err != nil || !c.LargeText {
		t.Fatalf("flag: %v %v", c.LargeText, err)
	}
	c, err = Load(base, env(map[string]string{"CIVIQ_LARGE_TEXT": "1"}), io.Discard)
	if err != nil || !c.LargeText {
		t.Fatalf("env: %v %v", c.LargeText, err)
	}
	if _, err := Load(base, env(map[string]string{"CIVIQ_LARGE_TEXT": "maybe"}), io.Discard); err == nil {
		t.Fatal("CIVIQ_LARGE_TEXT=maybe accepted")
	}
	file := filepath.Join(t.TempDir(), "k.json")
	os.WriteFile(file, []byte(`{"large_text":true}`), 0o600)
	c, err = Load(append(base, "--config", file), env(nil), io.Discard)
	if err != nil || !c.LargeText {
		t.Fatalf("file: %v %v", c.LargeText, err)
	}
}

// TestAdminPIN: a bcrypt hash is taken, a plain PIN refused; HashPIN
// makes a hash of 4–12 digits only.
func TestAdminPIN(t *testing.T) {
	base := []string{"--server", "http://h:1", "--token", "t", "--spool", "/s"}
	h, err := HashPIN(" 2468\n")
	if err != nil {
		t.Fatal(err)
	}
	c, err := Load(append(base, "--admin-pin-hash", h), env(nil), io.Discard)
	if err != nil || c.AdminPINHash != h {
		t.Fatalf("hash: %q %v", c.AdminPINHash, err)
	}
	if _, err := Load(base, env(map[string]string{"CIVIQ_ADMIN_PIN_HASH": "2468"}), io.Discard); err == nil {
		t.Fatal("a plain PIN accepted as the hash")
	}
	for _, bad := range []string{"123", "12ab", "1234567890123"} {
		if _, err := HashPIN(bad); err == nil {
			t.Errorf("HashPIN(%q) accepted", bad)
		}
	}
}

// TestFileErrorsAndWarnings: an unknown key or a bad value in the file is
// refused naming the key; a duration in seconds (older files) is read with
// a warning.
func TestFileErrorsAndWarnings(t *testing.T) {
	dir := t.TempDir()
	base := []string{"--server", "http://h:1", "--token", "t", "--spool", "/s"}
	for content, want := range map[string]string{
		`{"server":"http://h:1","printr":"tcp://x:9100"}`: `unknown key "printr"`,
		`{"paper":"80"}`:         `key "paper": want a number`,
		`{"idle":"soon"}`:        `key "idle"`,
		`{"fullscreen":"true"}`:  `key "fullscreen": want true or false`,
		`{"token-file":"/t"}`:    `unknown key "token-file"`,
		`{"lang":"vi"} trailing`: "trailing data",
		"server = http://h:1\n":  "not JSON", // key = value is the display's old format only
	} {
		p := filepath.Join(dir, "k.json")
		os.WriteFile(p, []byte(content), 0o600)
		_, err := Load(append(base, "--config", p), env(nil), io.Discard)
		if err == nil || !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), p) {
			t.Errorf("%s: %v, want an error naming %s and saying %q", content, err, p, want)
		}
	}
	p := filepath.Join(dir, "old.json")
	os.WriteFile(p, []byte(`{"idle":30,"confirm":"12s"}`), 0o600)
	c, err := Load(append(base, "--config", p), env(nil), io.Discard)
	if err != nil || c.Idle != 30*time.Second || c.Confirm != 12*time.Second || c.File != p {
		t.Fatalf("%+v %v", c, err)
	}
	if len(c.Warnings) != 1 || !strings.Contains(c.Warnings[0], `write "30s"`) {
		t.Fatalf("warnings %q", c.Warnings)
	}
	if _, err := Load(append(base, "--paper", "wide"), env(nil), io.Discard); err == nil || !strings.Contains(err.Error(), "paper") {
		t.Fatalf("bad --paper: %v", err)
	}
	if _, err := Load(base, env(map[string]string{"CIVIQ_LEASE": "many"}), io.Discard); err == nil || !strings.Contains(err.Error(), "CIVIQ_LEASE") {
		t.Fatalf("bad CIVIQ_LEASE: %v", err)
	}
}

// TestShippedSample: the sample file in deploy/windows is read without a
// warning (the token is given, as the sample's token file is a Windows path).
func TestShippedSample(t *testing.T) {
	c, err := Load([]string{"--config", "../../../deploy/windows/kiosk.sample.json", "--token", "t"}, env(nil), io.Discard)
	if err != nil || c.Paper != 80 || c.Printer != "tcp://192.168.10.51:9100" || len(c.Warnings) != 0 {
		t.Fatalf("%+v %v", c, err)
	}
}
