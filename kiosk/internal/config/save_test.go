package config

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"
)

// TestSavePrinter: the printer and paper saved by the maintenance screen
// load back, the file's other settings are kept, and a missing file or a
// bad paper width is refused.
func TestSavePrinter(t *testing.T) {
	path := filepath.Join(t.TempDir(), "kiosk.json")
	if err := os.WriteFile(path, []byte(`{"server":"http://10.0.0.2:8080","token":"t0k","printer":"dir:/tmp/x","lang":"en"}`), 0o640); err != nil {
		t.Fatal(err)
	}
	if err := SavePrinter(path, "tcp://10.0.0.50:9100", 80); err != nil {
		t.Fatal(err)
	}
	c, err := Load([]string{"--config", path, "--spool", t.TempDir()}, func(string) string { return "" }, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if c.Printer != "tcp://10.0.0.50:9100" || c.Paper != 80 || c.Server != "http://10.0.0.2:8080" || c.Lang != "en" || c.File != path {
		t.Errorf("loaded %+v", c)
	}
	if st, _ := os.Stat(path); st.Mode().Perm() != 0o640 {
		t.Errorf("mode %v", st.Mode().Perm())
	}
	if err := SavePrinter("", "dir:/x", 58); !errors.Is(err, ErrNoFile) {
		t.Errorf("no file: %v", err)
	}
	if err := SavePrinter(path, "dir:/x", 62); err == nil {
		t.Error("paper 62 saved")
	}
}
