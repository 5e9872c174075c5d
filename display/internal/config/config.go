// Package config reads the hall display's settings from flags, CIVIQ_*
// environment variables and an optional config file, in that order of
// precedence (a flag beats the environment, which beats the file, which
// beats the defaults), through internal/settings as the server and the
// kiosk do.
package config

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/civiq/civiq/internal/settings"
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
	// Server is the base URL of the CiviQ server (default
	// http://127.0.0.1:8080), or several separated by commas (instances of
	// one centre on one PostgreSQL database): the display follows the first
	// that answers and moves to the next when it goes away.
	Server string
	// Servers is Server split into its addresses (set by Parse).
	Servers []string
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
	// File is the config file read (empty: none); Warnings are what the
	// display logs at start about it (the older file format, still read).
	File     string
	Warnings []string
}

// Parse reads the configuration: flags in args (without the program name)
// over CIVIQ_* environment variables (getenv) over the optional config
// file (--config or CIVIQ_DISPLAY_CONFIG) over the defaults
// (docs/CONFIG.md). The file is JSON; the older "key = value" lines are
// still read, with a warning in Warnings. Files are read with readFile
// (ReadFile in production).
func Parse(args []string, getenv func(string) string, readFile func(string) ([]byte, error), stderr io.Writer) (Config, error) {
	c := Config{Server: "http://127.0.0.1:8080", Fullscreen: true, Lang: LangAlternate, Voice: VoiceVI}
	s := settings.New("display", stderr)
	s.ConfigFile("CIVIQ_DISPLAY_CONFIG")
	s.AllowKeyValueFile()
	// CIVIQ_SERVER is read as the kiosk reads it; CIVIQ_DISPLAY_SERVER beats it.
	s.String(&c.Server, "server", "server base URL; several, comma-separated, for instances of one centre", "CIVIQ_SERVER", "CIVIQ_DISPLAY_SERVER")
	s.String(&c.Token, "token", "display device token; prefer --token-file", "CIVIQ_DISPLAY_TOKEN")
	s.String(&c.TokenFile, "token_file", "file holding the display device token", "CIVIQ_DISPLAY_TOKEN_FILE")
	s.Bool(&c.Fullscreen, "fullscreen", "full screen with a hidden cursor", "CIVIQ_DISPLAY_FULLSCREEN")
	s.String(&c.Lang, "lang", "board language: vi, en or vi+en alternating", "CIVIQ_DISPLAY_LANG")
	s.String(&c.Voice, "voice", "call-out language: vi or vi+en", "CIVIQ_DISPLAY_VOICE")
	s.Bool(&c.NoSound, "no_sound", "no call-outs", "CIVIQ_DISPLAY_NO_SOUND")
	s.String(&c.Sounds, "sounds", "folder of recorded clips replacing the shipped ones", "CIVIQ_DISPLAY_SOUNDS")
	err := s.Parse(args, getenv, readFile)
	c.File, c.Warnings = s.File(), s.Warnings()
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

func (c *Config) validate() error {
	servers, err := settings.ServerURLs(c.Server)
	if err != nil {
		return err
	}
	c.Servers = servers
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
