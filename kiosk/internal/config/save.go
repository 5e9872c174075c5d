package config

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// ErrNoFile: the kiosk was started without a config file, so there is
// nowhere to save a setting.
var ErrNoFile = errors.New("config: no config file (start the kiosk with --config FILE to keep settings)")

// SavePrinter sets "printer" and "paper" in the JSON config file at path,
// keeping its other keys, and replaces the file atomically (a power cut
// leaves the old or the new file, never half of one).
func SavePrinter(path, spec string, paper int) error {
	if path == "" {
		return ErrNoFile
	}
	if paper != 58 && paper != 80 {
		return fmt.Errorf("config: paper %d: want 58 or 80", paper)
	}
	m := map[string]json.RawMessage{}
	b, err := os.ReadFile(path)
	switch {
	case errors.Is(err, os.ErrNotExist):
	case err != nil:
		return fmt.Errorf("config: %w", err)
	case len(bytes.TrimSpace(b)) > 0:
		if err := json.Unmarshal(b, &m); err != nil {
			return fmt.Errorf("config: %s: %w", path, err)
		}
	}
	m["printer"], _ = json.Marshal(spec)
	m["paper"], _ = json.Marshal(paper)
	out, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return err
	}
	// The result must load as a config (no unknown key was added).
	var check Config
	dec := json.NewDecoder(bytes.NewReader(out))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&check); err != nil {
		return fmt.Errorf("config: %s: %w", path, err)
	}
	mode := os.FileMode(0o600)
	if st, err := os.Stat(path); err == nil {
		mode = st.Mode().Perm()
	}
	f, err := os.CreateTemp(filepath.Dir(path), ".kiosk-config-*")
	if err != nil {
		return fmt.Errorf("config: %w", err)
	}
	defer os.Remove(f.Name())
	if err := f.Chmod(mode); err != nil {
		f.Close()
		return err
	}
	if _, err := f.Write(append(out, '\n')); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	if err := os.Rename(f.Name(), path); err != nil {
		return fmt.Errorf("config: %w", err)
	}
	if d, err := os.Open(filepath.Dir(path)); err == nil {
		_ = d.Sync()
		d.Close()
	}
	return nil
}
