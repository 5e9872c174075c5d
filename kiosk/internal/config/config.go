// Package config reads the kiosk's settings from, in increasing priority, a
// JSON config file, CIVIQ_* environment variables and command-line flags.
package config

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"golang.org/x/crypto/bcrypt"
)

// Config is the kiosk's configuration. The zero values of the optional
// fields are replaced by the defaults documented on each.
type Config struct {
	// Server is the server's base URL (required), e.g. http://10.0.0.2:8080.
	Server string `json:"server"`
	// Token is the kiosk's device token; TokenFile names a file holding it
	// (preferred: tokens stay out of process listings).
	Token     string `json:"token"`
	TokenFile string `json:"token_file"`
	// Printer is a printer spec: tcp://host:9100, file:/dev/usb/lp0 or
	// dir:/path (default dir:<spool>/printed).
	Printer string `json:"printer"`
	// Paper is the paper width in mm: 58 (default) or 80.
	Paper int `json:"paper"`
	// Lang is the default language on the home screen: vi (default) or en.
	Lang string `json:"lang"`
	// Fullscreen opens the window full screen (kiosk mode).
	Fullscreen bool `json:"fullscreen"`
	// AdminPINHash is the bcrypt hash of the admin PIN that, after five
	// taps on the screen's top-left corner, opens the maintenance screen
	// (make one with "kiosk hash-pin"). Never the PIN itself. Empty: no
	// way out of the kiosk but the OS.
	AdminPINHash string `json:"admin_pin_hash"`
	// LargeText makes large-text, high-contrast mode the default: the
	// kiosk starts in it and returns to it after each citizen.
	LargeText bool `json:"large_text"`
	// NoSound turns the spoken guidance off (no "Nghe hướng dẫn" button).
	NoSound bool `json:"no_sound"`
	// File is the config file read (--config), where the maintenance
	// screen saves the printer; "" for none.
	File string `json:"-"`
	// Idle is how long a screen other than home stays without a touch
	// before the kiosk returns home (default 20s).
	Idle Duration `json:"idle"`
	// Confirm is how long the confirmation stays (default 8s).
	Confirm Duration `json:"confirm"`
	// Spool is the folder of the offline spool (default
	// $XDG_STATE_HOME/civiq-kiosk or ~/.local/state/civiq-kiosk).
	Spool string `json:"spool"`
	// Lease is how many offline numbers the kiosk keeps per field (default 20).
	Lease int `json:"lease"`
	// Poll is how often the field list is refreshed (default 1s: a change
	// made in /admin reaches the tiles within about a second).
	Poll Duration `json:"poll"`
	// Heartbeat is how often the kiosk reports to the server (default 15s).
	Heartbeat Duration `json:"heartbeat"`
	// LogLevel is debug, info (default), warn or error.
	LogLevel string `json:"log_level"`
}

// Duration is a time.Duration written as "20s" in JSON.
type Duration time.Duration

// UnmarshalJSON reads "20s" or a number of seconds.
func (d *Duration) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err == nil {
		v, err := time.ParseDuration(s)
		*d = Duration(v)
		return err
	}
	var n float64
	if err := json.Unmarshal(b, &n); err != nil {
		return fmt.Errorf("duration must be \"20s\" or seconds")
	}
	*d = Duration(time.Duration(n * float64(time.Second)))
	return nil
}

// Std returns the duration as a time.Duration.
func (d Duration) Std() time.Duration { return time.Duration(d) }

// Load reads the configuration. args are the command-line arguments
// without the program name; getenv reads the environment.
func Load(args []string, getenv func(string) string, stderr io.Writer) (Config, error) {
	var c Config
	fs := flag.NewFlagSet("kiosk", flag.ContinueOnError)
	fs.SetOutput(stderr)
	file := fs.String("config", getenv("CIVIQ_KIOSK_CONFIG"), "JSON config file (env CIVIQ_KIOSK_CONFIG)")
	var f Config
	var idle, confirm, poll, hb time.Duration
	fs.StringVar(&f.Server, "server", "", "server URL, e.g. http://10.0.0.2:8080 (env CIVIQ_SERVER)")
	fs.StringVar(&f.Token, "token", "", "device token (env CIVIQ_TOKEN); prefer --token-file")
	fs.StringVar(&f.TokenFile, "token-file", "", "file holding the device token (env CIVIQ_TOKEN_FILE)")
	fs.StringVar(&f.Printer, "printer", "", "printer: tcp://host:9100, file:/dev/usb/lp0 or dir:/path (env CIVIQ_PRINTER)")
	fs.IntVar(&f.Paper, "paper", 0, "paper width in mm: 58 or 80 (env CIVIQ_PAPER)")
	fs.StringVar(&f.Lang, "lang", "", "default language: vi or en (env CIVIQ_LANG)")
	fs.BoolVar(&f.Fullscreen, "fullscreen", false, "full screen (env CIVIQ_FULLSCREEN=1)")
	fs.StringVar(&f.AdminPINHash, "admin-pin-hash", "", "bcrypt hash of the admin PIN, from \"kiosk hash-pin\" (env CIVIQ_ADMIN_PIN_HASH)")
	fs.BoolVar(&f.LargeText, "large-text", false, "large-text, high-contrast mode by default (env CIVIQ_LARGE_TEXT=1)")
	fs.BoolVar(&f.NoSound, "no-sound", false, "no spoken guidance (env CIVIQ_NO_SOUND=1)")
	fs.DurationVar(&idle, "idle", 0, "return home after this long without a touch (env CIVIQ_IDLE, default 20s)")
	fs.DurationVar(&confirm, "confirm", 0, "how long the confirmation shows (env CIVIQ_CONFIRM, default 8s)")
	fs.StringVar(&f.Spool, "spool", "", "offline spool folder (env CIVIQ_SPOOL)")
	fs.IntVar(&f.Lease, "lease", 0, "offline numbers kept per field (env CIVIQ_LEASE, default 20)")
	fs.DurationVar(&poll, "poll", 0, "field list refresh interval (env CIVIQ_POLL, default 1s)")
	fs.DurationVar(&hb, "heartbeat", 0, "heartbeat interval (env CIVIQ_HEARTBEAT, default 15s)")
	fs.StringVar(&f.LogLevel, "log-level", "", "debug, info, warn or error (env CIVIQ_LOG_LEVEL)")
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	if fs.NArg() > 0 {
		return c, fmt.Errorf("config: unexpected argument %q", fs.Arg(0))
	}
	f.Idle, f.Confirm, f.Poll, f.Heartbeat = Duration(idle), Duration(confirm), Duration(poll), Duration(hb)
	set := map[string]bool{}
	fs.Visit(func(fl *flag.Flag) { set[fl.Name] = true })

	if *file != "" {
		c.File = *file
		b, err := os.ReadFile(*file)
		if err != nil {
			return c, fmt.Errorf("config: %w", err)
		}
		dec := json.NewDecoder(strings.NewReader(string(b)))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&c); err != nil {
			return c, fmt.Errorf("config: %s: %w", *file, err)
		}
	}
	if err := fromEnv(&c, getenv); err != nil {
		return c, err
	}
	// Flags last: only those given on the command line.
	if set["server"] {
		c.Server = f.Server
	}
	if set["token"] {
		c.Token = f.Token
	}
	if set["token-file"] {
		c.TokenFile = f.TokenFile
	}
	if set["printer"] {
		c.Printer = f.Printer
	}
	if set["paper"] {
		c.Paper = f.Paper
	}
	if set["lang"] {
		c.Lang = f.Lang
	}
	if set["fullscreen"] {
		c.Fullscreen = f.Fullscreen
	}
	if set["admin-pin-hash"] {
		c.AdminPINHash = f.AdminPINHash
	}
	if set["large-text"] {
		c.LargeText = f.LargeText
	}
	if set["no-sound"] {
		c.NoSound = f.NoSound
	}
	if set["idle"] {
		c.Idle = f.Idle
	}
	if set["confirm"] {
		c.Confirm = f.Confirm
	}
	if set["spool"] {
		c.Spool = f.Spool
	}
	if set["lease"] {
		c.Lease = f.Lease
	}
	if set["poll"] {
		c.Poll = f.Poll
	}
	if set["heartbeat"] {
		c.Heartbeat = f.Heartbeat
	}
	if set["log-level"] {
		c.LogLevel = f.LogLevel
	}
	return c, c.finish(getenv)
}

func fromEnv(c *Config, getenv func(string) string) error {
	str := func(key string, dst *string) {
		if v := getenv(key); v != "" {
			*dst = v
		}
	}
	str("CIVIQ_SERVER", &c.Server)
	str("CIVIQ_TOKEN", &c.Token)
	str("CIVIQ_TOKEN_FILE", &c.TokenFile)
	str("CIVIQ_PRINTER", &c.Printer)
	str("CIVIQ_LANG", &c.Lang)
	str("CIVIQ_ADMIN_PIN_HASH", &c.AdminPINHash)
	str("CIVIQ_SPOOL", &c.Spool)
	str("CIVIQ_LOG_LEVEL", &c.LogLevel)
	for key, dst := range map[string]*int{"CIVIQ_PAPER": &c.Paper, "CIVIQ_LEASE": &c.Lease} {
		if v := getenv(key); v != "" {
			n, err := strconv.Atoi(v)
			if err != nil {
				return fmt.Errorf("config: %s=%q is not a number", key, v)
			}
			*dst = n
		}
	}
	for key, dst := range map[string]*Duration{"CIVIQ_IDLE": &c.Idle, "CIVIQ_CONFIRM": &c.Confirm, "CIVIQ_POLL": &c.Poll, "CIVIQ_HEARTBEAT": &c.Heartbeat} {
		if v := getenv(key); v != "" {
			d, err := time.ParseDuration(v)
			if err != nil {
				return fmt.Errorf("config: %s=%q is not a duration such as 20s", key, v)
			}
			*dst = Duration(d)
		}
	}
	for key, dst := range map[string]*bool{"CIVIQ_FULLSCREEN": &c.Fullscreen, "CIVIQ_LARGE_TEXT": &c.LargeText, "CIVIQ_NO_SOUND": &c.NoSound} {
		if v := getenv(key); v != "" {
			b, err := strconv.ParseBool(v)
			if err != nil {
				return fmt.Errorf("config: %s=%q is not a boolean", key, v)
			}
			*dst = b
		}
	}
	return nil
}

// finish fills defaults, reads the token file and validates.
func (c *Config) finish(getenv func(string) string) error {
	if c.Server == "" {
		return errors.New("config: the server URL is required (--server or CIVIQ_SERVER)")
	}
	u, err := url.Parse(c.Server)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("config: server %q must be http(s)://host[:port]", c.Server)
	}
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
	def := func(d *Duration, v time.Duration) error {
		if *d == 0 {
			*d = Duration(v)
		}
		if *d < 0 {
			return errors.New("config: durations must be positive")
		}
		return nil
	}
	for _, x := range []struct {
		d *Duration
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
