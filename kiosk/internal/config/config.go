// Package config reads the kiosk's settings from, in increasing priority, a
// JSON config file, CIVIQ_* environment variables and command-line flags
// (through internal/settings, as the server and the display do).
package config

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/civiq/civiq/internal/settings"
)

// Config is the kiosk's configuration. The zero values of the optional
// fields are replaced by the defaults documented on each.
type Config struct {
	// Server is the server's base URL (required), e.g. http://10.0.0.2:8080,
	// or several separated by commas (instances of one centre on one
	// PostgreSQL database): the kiosk uses the first that answers.
	Server string
	// Servers is Server split into its addresses (set by Load).
	Servers []string
	// Token is the kiosk's device token; TokenFile names a file holding it
	// (preferred: tokens stay out of process listings).
	Token     string
	TokenFile string
	// Printer is a printer spec: tcp://host:9100, file:/dev/usb/lp0 or
	// dir:/path (default dir:<spool>/printed).
	Printer string
	// Paper is the paper width in mm: 58 (default) or 80.
	Paper int
	// Lang is the default language on the home screen: vi (default) or en.
	Lang string
	// Fullscreen opens the window full screen (kiosk mode).
	Fullscreen bool
	// AdminPINHash is the bcrypt hash of the admin PIN that, after five
	// taps on the screen's top-left corner, opens the maintenance screen
	// (make one with "kiosk hash-pin"). Never the PIN itself. Empty: no
	// way out of the kiosk but the OS.
	AdminPINHash string
	// LargeText makes large-text, high-contrast mode the default: the
	// kiosk starts in it and returns to it after each citizen.
	LargeText bool
	// NoSound turns the spoken guidance off (no "Nghe hướng dẫn" button).
	NoSound bool
	// Idle is how long a screen other than home stays without a touch
	// before the kiosk returns home (default 20s).
	Idle time.Duration
	// Confirm is how long the confirmation stays (default 8s).
	Confirm time.Duration
	// Spool is the folder of the offline spool (default
	// $XDG_STATE_HOME/civiq-kiosk or ~/.local/state/civiq-kiosk).
	Spool string
	// Lease is how many offline numbers the kiosk keeps per field (default 20).
	Lease int
	// Poll is how often the field list is refreshed (default 1s: a change
	// made in /admin reaches the tiles within about a second).
	Poll time.Duration
	// Heartbeat is how often the kiosk reports to the server (default 15s).
	Heartbeat time.Duration
	// Scanner is a barcode scanner on a serial port, e.g. /dev/ttyACM0,
	// read as lines (empty: none; a keyboard-wedge scanner needs none).
	Scanner string
	// LogLevel is debug, info (default), warn or error.
	LogLevel string

	// File is the config file read (empty: none); Warnings are what the
	// kiosk logs at start about it (deprecated forms still accepted).
	File     string
	Warnings []string
}

// Load reads the configuration: flags in args (without the program name)
// over CIVIQ_* environment variables (getenv) over the optional JSON
// config file (--config or CIVIQ_KIOSK_CONFIG) over the defaults
// (docs/CONFIG.md).
func Load(args []string, getenv func(string) string, stderr io.Writer) (Config, error) {
	var c Config
	s := settings.New("kiosk", stderr)
	s.ConfigFile("CIVIQ_KIOSK_CONFIG")
	s.String(&c.Server, "server", "server URL, e.g. http://10.0.0.2:8080; several, comma-separated, for instances of one centre", "CIVIQ_SERVER")
	s.String(&c.Token, "token", "device token; prefer --token-file", "CIVIQ_TOKEN")
	s.String(&c.TokenFile, "token_file", "file holding the device token", "CIVIQ_TOKEN_FILE")
	s.String(&c.Printer, "printer", "printer: tcp://host:9100, file:/dev/usb/lp0 or dir:/path", "CIVIQ_PRINTER")
	s.Int(&c.Paper, "paper", "paper width in mm: 58 or 80", "CIVIQ_PAPER")
	s.String(&c.Lang, "lang", "default language: vi or en", "CIVIQ_LANG")
	s.Bool(&c.Fullscreen, "fullscreen", "full screen", "CIVIQ_FULLSCREEN")
	s.String(&c.AdminPINHash, "admin_pin_hash", "bcrypt hash of the admin PIN, from \"kiosk hash-pin\"", "CIVIQ_ADMIN_PIN_HASH")
	s.Bool(&c.LargeText, "large_text", "large-text, high-contrast mode by default", "CIVIQ_LARGE_TEXT")
	s.Bool(&c.NoSound, "no_sound", "no spoken guidance (no Listen button)", "CIVIQ_NO_SOUND")
	s.Duration(&c.Idle, "idle", "return home after this long without a touch (default 20s)", "CIVIQ_IDLE")
	s.Duration(&c.Confirm, "confirm", "how long the confirmation shows (default 8s)", "CIVIQ_CONFIRM")
	s.String(&c.Spool, "spool", "offline spool folder", "CIVIQ_SPOOL")
	s.Int(&c.Lease, "lease", "offline numbers kept per field (default 20)", "CIVIQ_LEASE")
	s.Duration(&c.Poll, "poll", "field list refresh interval (default 1s)", "CIVIQ_POLL")
	s.Duration(&c.Heartbeat, "heartbeat", "heartbeat interval (default 15s)", "CIVIQ_HEARTBEAT")
	s.String(&c.Scanner, "scanner", "barcode scanner on a serial port, e.g. /dev/ttyACM0 (keyboard-wedge scanners need none)", "CIVIQ_SCANNER")
	s.String(&c.LogLevel, "log_level", "debug, info, warn or error", "CIVIQ_LOG_LEVEL")
	if err := s.Parse(args, getenv, os.ReadFile); err != nil {
		return c, fmt.Errorf("config: %w", err)
	}
	c.File, c.Warnings = s.File(), s.Warnings()
	return c, c.finish(getenv)
}

// finish fills defaults, reads the token file and validates.
func (c *Config) finish(getenv func(string) string) error {
	if c.Server == "" {
		return errors.New("config: the server URL is required (--server or CIVIQ_SERVER)")
	}
	servers, err := settings.ServerURLs(c.Server)
	if err != nil {
		return fmt.Errorf("config: %w", err)
	}
	c.Servers = servers
	if c.Token == "" && c.TokenFile != "" {
		b, err := os.ReadFile(c.TokenFile)
		if err != nil {
			return fmt.Errorf("config: token file: %w", err)
		}
		c.Token = strings.TrimSpace(string(b))
	}
	if c.Token == "" {
		return errors.New("config: a device token is required (--token-file, --token or CIVIQ_TOKEN)")
	}
	switch c.Paper {
	case 0:
		c.Paper = 58
	case 58, 80:
	default:
		return fmt.Errorf("config: paper must be 58 or 80 (mm), not %d", c.Paper)
	}
	if c.AdminPINHash != "" {
		if _, err := bcrypt.Cost([]byte(c.AdminPINHash)); err != nil {
			return errors.New("config: admin_pin_hash must be a bcrypt hash made by \"kiosk hash-pin\", never the PIN itself")
		}
	}
	switch c.Lang {
	case "":
		c.Lang = "vi"
	case "vi", "en":
	default:
		return fmt.Errorf("config: lang must be vi or en, not %q", c.Lang)
	}
	if c.Spool == "" {
		base := getenv("XDG_STATE_HOME")
		if base == "" {
			home := getenv("HOME")
			if home == "" {
				return errors.New("config: set --spool (no HOME to put the offline spool in)")
			}
			base = home + "/.local/state"
		}
		c.Spool = base + "/civiq-kiosk"
	}
	if c.Printer == "" {
		c.Printer = "dir:" + c.Spool + "/printed"
	}
	def := func(d *time.Duration, v time.Duration) error {
		if *d == 0 {
			*d = v
		}
		if *d < 0 {
			return errors.New("config: durations must be positive")
		}
		return nil
	}
	for _, x := range []struct {
		d *time.Duration
		v time.Duration
	}{{&c.Idle, 20 * time.Second}, {&c.Confirm, 8 * time.Second}, {&c.Poll, time.Second}, {&c.Heartbeat, 15 * time.Second}} {
		if err := def(x.d, x.v); err != nil {
			return err
		}
	}
	if c.Lease == 0 {
		c.Lease = 20
	}
	if c.Lease < 1 || c.Lease > 200 {
		return fmt.Errorf("config: lease must be between 1 and 200, not %d", c.Lease)
	}
	switch c.LogLevel {
	case "":
		c.LogLevel = "info"
	case "debug", "info", "warn", "error":
	default:
		return fmt.Errorf("config: log level %q", c.LogLevel)
	}
	return nil
}

// HashPIN checks an admin PIN (4 to 12 digits) and returns its bcrypt hash.
func HashPIN(pin string) (string, error) {
	pin = strings.TrimSpace(pin)
	if len(pin) < 4 || len(pin) > 12 || strings.Trim(pin, "0123456789") != "" {
		return "", errors.New("config: the admin PIN must be 4 to 12 digits")
	}
	h, err := bcrypt.GenerateFromPassword([]byte(pin), bcrypt.DefaultCost)
	return string(h), err
}
