// Package config reads the hall display's settings from flags, CIVIQ_*
// environment variables and an optional config file, in that order of
// precedence (a flag beats the environment, which beats the file, which
// beats the defaults).
package config

import (
	"bufio"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/url"
	"os"
	"strconv"
	"strings"
)

// Languages of the board (Config.Lang).
const (
	LangVI        = "vi"    // Vietnamese only
	LangEN        = "en"    // English only
	LangAlternate = "vi+en" // Vietnamese, alternating with English
)

// Voices (Config.Voice): what the call-out says.
const (
	VoiceVI   = "vi"    // Vietnamese (and English for tickets issued in English)
	VoiceViEn = "vi+en" // Vietnamese then English for every call
)

// Config is the display's configuration.
type Config struct {
	// Server is the base URL of the CiviQ server (default http://127.0.0.1:8080).
	Server string
	// Token is the display device token (from --token, CIVIQ_DISPLAY_TOKEN,
	// or read from TokenFile).
	Token string
	// TokenFile is a file holding the token (preferred: it stays out of `ps`).
	TokenFile string
	// Fullscreen runs the window full screen with a hidden cursor (default true).
	Fullscreen bool
	// Lang is the board language: vi, en or vi+en (default vi+en: alternating).
	Lang string
	// Voice is vi or vi+en (default vi).
	Voice string
	// NoSound turns the call-outs off (the board still shows every call).
	NoSound bool
	// Sounds is a folder of recorded clips that replace the shipped ones.
	Sounds string
	// File is the config file read (empty: none).
	File string
}

// set applies one setting named as in the config file (and, upper-cased, in CIVIQ_DISPLAY_*).
func (c *Config) set(key, val string) error {
	switch key {
	case "server":
		c.Server = val
	case "token":
		c.Token = val
	case "token_file", "token-file":
		c.TokenFile = val
	case "fullscreen":
		return parseBool("fullscreen", val, &c.Fullscreen)
	case "lang":
		c.Lang = val
	case "voice":
		c.Voice = val
	case "no_sound", "no-sound":
		return parseBool("no_sound", val, &c.NoSound)
	case "sounds":
		c.Sounds = val
	default:
		return fmt.Errorf("unknown setting %q", key)
	}
	return nil
}

// Parse reads the configuration. getenv is os.Getenv in production; files
// are read with readFile (os.ReadFile).
func Parse(args []string, getenv func(string) string, readFile func(string) ([]byte, error), stderr io.Writer) (Config, error) {
	c := Config{Server: "http://127.0.0.1:8080", Fullscreen: true, Lang: LangAlternate, Voice: VoiceVI}

	fs := flag.NewFlagSet("display", flag.ContinueOnError)
	fs.SetOutput(stderr)
	file := fs.String("config", getenv("CIVIQ_DISPLAY_CONFIG"), "config file of key = value lines (env CIVIQ_DISPLAY_CONFIG)")
	fs.String("server", "", "server base URL (env CIVIQ_SERVER; default http://127.0.0.1:8080)")
	fs.String("token", "", "display device token (env CIVIQ_DISPLAY_TOKEN; prefer --token-file)")
	fs.String("token-file", "", "file holding the display device token (env CIVIQ_DISPLAY_TOKEN_FILE)")
	fs.Bool("fullscreen", true, "full screen with a hidden cursor (env CIVIQ_DISPLAY_FULLSCREEN)")
	fs.String("lang", "", "board language: vi, en or vi+en alternating (default vi+en)")
	fs.String("voice", "", "call-out language: vi or vi+en (default vi)")
	fs.Bool("no-sound", false, "no call-outs (env CIVIQ_DISPLAY_NO_SOUND)")
	fs.String("sounds", "", "folder of recorded clips replacing the shipped ones")
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	if fs.NArg() > 0 {
		return c, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}

	// 1. The file.
	if *file != "" {
		c.File = *file
		b, err := readFile(*file)
		if err != nil {
			return c, fmt.Errorf("config file: %w", err)
		}
		if err := c.parseFile(string(b)); err != nil {
			return c, fmt.Errorf("config file %s: %w", *file, err)
		}
	}
	// 2. The environment.
	if v := getenv("CIVIQ_SERVER"); v != "" {
		c.Server = v
	}
	// Settings are also read from CIVIQ_DISPLAY_<KEY>; CIVIQ_SERVER is read
	// for the server too, as the kiosk does.
	for _, k := range []string{"server", "token", "token_file", "fullscreen", "lang", "voice", "no_sound", "sounds"} {
		if v := getenv("CIVIQ_DISPLAY_" + strings.ToUpper(k)); v != "" {
			if err := c.set(k, v); err != nil {
				return c, fmt.Errorf("CIVIQ_DISPLAY_%s: %w", strings.ToUpper(k), err)
			}
		}
	}
	// 3. The flags that were given.
	var err error
	fs.Visit(func(f *flag.Flag) {
		if err == nil && f.Name != "config" {
			err = c.set(f.Name, f.Value.String())
		}
	})
	if err != nil {
		return c, err
	}
	if c.Token == "" && c.TokenFile != "" {
		b, err := readFile(c.TokenFile)
		if err != nil {
			return c, fmt.Errorf("token file: %w", err)
		}
		c.Token = strings.TrimSpace(string(b))
	}
	return c, c.validate()
}

func (c *Config) parseFile(s string) error {
	sc := bufio.NewScanner(strings.NewReader(s))
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		if !ok {
			return fmt.Errorf("line %d: want key = value", n)
		}
		v = strings.Trim(strings.TrimSpace(v), `"`)
		if err := c.set(strings.TrimSpace(k), v); err != nil {
			return fmt.Errorf("line %d: %w", n, err)
		}
	}
	return sc.Err()
}

func (c *Config) validate() error {
	u, err := url.Parse(c.Server)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("server: %q is not an http(s) URL", c.Server)
	}
	if c.Token == "" {
		return errors.New("no device token: give --token-file (or --token, CIVIQ_DISPLAY_TOKEN); an admin creates one under Thiết bị / Devices")
	}
	if strings.ContainsAny(c.Token, " \t\r\n") {
		return errors.New("token: contains white space")
	}
	switch c.Lang {
	case LangVI, LangEN, LangAlternate:
	default:
		return fmt.Errorf("lang: %q is not vi, en or vi+en", c.Lang)
	}
	switch c.Voice {
	case VoiceVI, VoiceViEn:
	default:
		return fmt.Errorf("voice: %q is not vi or vi+en", c.Voice)
	}
	return nil
}

// ReadFile is os.ReadFile, for Parse.
func ReadFile(name string) ([]byte, error) { return os.ReadFile(name) }

// parseBool sets *dst from a true/false setting named key.
func parseBool(key, val string, dst *bool) error {
	b, err := strconv.ParseBool(val)
	if err != nil {
		return fmt.Errorf("%s: %q is not true or false", key, val)
	}
	*dst = b
	return nil
}
