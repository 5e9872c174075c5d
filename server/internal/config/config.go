// Package config reads the server configuration (flags over CIVIQ_*
// environment variables over an optional JSON config file over defaults,
// through internal/settings) and centre definition files.
package config

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/civiq/civiq/internal/settings"
	"github.com/civiq/civiq/server/internal/queue"
	"github.com/civiq/civiq/server/protocol"
)

// Config is the server configuration.
type Config struct {
	// Addr is the listen address (default ":8080"; env CIVIQ_ADDR).
	Addr string
	// DataDir holds the SQLite database (default "./data"; env CIVIQ_DATA).
	DataDir string
	// DB is a postgres:// URL for scale-out; empty uses SQLite (env CIVIQ_DB).
	DB string
	// Province serves every centre of the province registry held in DB
	// from this process, each under /c/{centre}/, beside the default
	// centre on the unprefixed paths (env CIVIQ_PROVINCE; needs DB).
	Province bool
	// ProvincePassword is the first province admin's password (env
	// CIVIQ_PROVINCE_PASSWORD only; empty: a random one, printed once).
	ProvincePassword string
	// ProvincePoll is how often the registry is read for centres other
	// instances created (default 2 s; env CIVIQ_PROVINCE_POLL).
	ProvincePoll time.Duration
	// CentreFile is the centre definition loaded into an empty store; empty
	// uses the embedded demo centre (env CIVIQ_CENTRE).
	CentreFile string
	// PublicURL is the base of track URLs on tickets (env CIVIQ_PUBLIC_URL).
	// Parse fills it in when unset, from the listen address and the
	// machine's LAN address (DefaultPublicURL).
	PublicURL string
	// PublicURLDefault tells that PublicURL is the computed default, and
	// PublicURLReachable whether phones can open it (not a loopback
	// address); the server prints both at start.
	PublicURLDefault, PublicURLReachable bool
	// TrustProxy reads client IPs from X-Real-IP (env CIVIQ_TRUST_PROXY).
	TrustProxy bool
	// LogLevel is debug, info, warn or error (env CIVIQ_LOG_LEVEL).
	LogLevel slog.Level
	// LogJSON writes JSON logs instead of text (env CIVIQ_LOG_JSON).
	LogJSON bool
	// AdminPassword is the first admin's password (env CIVIQ_ADMIN_PASSWORD
	// only, never a flag: flags show in ps).
	AdminPassword string
	// EventRetention is how long events are kept for resuming clients
	// (default 90 days; env CIVIQ_EVENT_RETENTION).
	EventRetention time.Duration
	// ShutdownTimeout bounds graceful shutdown (default 10 s).
	ShutdownTimeout time.Duration
	// LoginPerMinute, PublicPerSecond and DevicePerSecond are the rate
	// limits per client IP (logins, anonymous requests) and per device;
	// 0 keeps the default, a negative value lifts the limit (load tests).
	LoginPerMinute, PublicPerSecond, DevicePerSecond float64
	// DebugAddr serves net/http/pprof on a separate address (empty: off).
	DebugAddr string
	// MetricsAddr serves /metrics on a separate address to anyone who
	// reaches it (env CIVIQ_METRICS_ADDR); empty serves it on the main
	// address to loopback and private client addresses only.
	MetricsAddr string
	// DemoHistory is how many past days of simulated activity the demo
	// centre starts with (env CIVIQ_DEMO_HISTORY; default 0). It applies
	// only to the embedded demo centre loaded into an empty store, never
	// to a real centre file.
	DemoHistory int
	// UnsafeSynchronous overrides SQLite's synchronous=FULL. Only the
	// durability test's negative control uses it (env CIVIQ_UNSAFE_SQLITE_SYNC).
	UnsafeSynchronous string
	// File is the config file read (empty: none); Warnings are what the
	// server logs at start about it (deprecated forms still accepted).
	File     string
	Warnings []string
}

// Parse reads the configuration: flags in args (without the program name)
// over CIVIQ_* environment variables over the optional JSON config file
// (--config or CIVIQ_SERVER_CONFIG) over the defaults (docs/CONFIG.md).
func Parse(args []string, getenv func(string) string, stderr io.Writer) (Config, error) {
	return parse(args, getenv, stderr, Interfaces)
}

func parse(args []string, getenv func(string) string, stderr io.Writer, interfaces func() []Iface) (Config, error) {
	c := Config{Addr: ":8080", DataDir: "./data", EventRetention: 2160 * time.Hour, ShutdownTimeout: 10 * time.Second,
		AdminPassword: getenv("CIVIQ_ADMIN_PASSWORD"), ProvincePassword: getenv("CIVIQ_PROVINCE_PASSWORD"), ProvincePoll: 2 * time.Second, UnsafeSynchronous: getenv("CIVIQ_UNSAFE_SQLITE_SYNC")}
	level := "info"
	s := settings.New("server", stderr)
	s.ConfigFile("CIVIQ_SERVER_CONFIG")
	s.String(&c.Addr, "addr", "listen address HOST:PORT", "CIVIQ_ADDR")
	s.String(&c.DataDir, "data", "data folder for the SQLite store", "CIVIQ_DATA")
	s.String(&c.DB, "db", "postgres://... URL for scale-out; empty uses SQLite", "CIVIQ_DB")
	s.Bool(&c.Province, "province", "serve every centre of the province registry in the --db database under /c/{centre}/ (multi-site)", "CIVIQ_PROVINCE")
	s.Duration(&c.ProvincePoll, "province_poll", "how often the province registry is read for centres created by other instances", "CIVIQ_PROVINCE_POLL")
	s.String(&c.CentreFile, "centre", "centre definition JSON loaded into an empty store; empty: the demo centre", "CIVIQ_CENTRE")
	s.String(&c.PublicURL, "public_url", "base URL printed in ticket QR codes, e.g. https://hcc.example.gov.vn", "CIVIQ_PUBLIC_URL")
	s.Bool(&c.TrustProxy, "trust_proxy", "take client IPs from X-Real-IP (behind a reverse proxy)", "CIVIQ_TRUST_PROXY")
	s.String(&level, "log_level", "log level: debug, info, warn, error", "CIVIQ_LOG_LEVEL")
	s.Bool(&c.LogJSON, "log_json", "JSON logs", "CIVIQ_LOG_JSON")
	s.Int(&c.DemoHistory, "demo_history", "days of simulated past activity for the demo centre's first start, so reports have data (0: none; ignored with --centre)", "CIVIQ_DEMO_HISTORY")
	s.Duration(&c.EventRetention, "event_retention", "how long events are kept for resuming clients", "CIVIQ_EVENT_RETENTION")
	s.Float(&c.LoginPerMinute, "login_rate", "login attempts per minute per client IP (default 10; negative: unlimited)", "CIVIQ_LOGIN_RATE")
	s.Float(&c.PublicPerSecond, "public_rate", "anonymous requests per second per client IP (default 20; negative: unlimited)", "CIVIQ_PUBLIC_RATE")
	s.Float(&c.DevicePerSecond, "device_rate", "requests per second per kiosk or display (default 50; negative: unlimited)", "CIVIQ_DEVICE_RATE")
	s.String(&c.DebugAddr, "debug_addr", "serve Go profiling (pprof) on this address, e.g. 127.0.0.1:6060; keep it private", "CIVIQ_DEBUG_ADDR")
	s.String(&c.MetricsAddr, "metrics_addr", "serve /metrics on this address, e.g. 127.0.0.1:9090; empty: on the main address to loopback and private addresses only", "CIVIQ_METRICS_ADDR")
	s.Duration(&c.ShutdownTimeout, "shutdown_timeout", "graceful shutdown limit", "CIVIQ_SHUTDOWN_TIMEOUT")
	if err := s.Parse(args, getenv, os.ReadFile); err != nil {
		return c, err
	}
	c.File, c.Warnings = s.File(), s.Warnings()
	if err := c.LogLevel.UnmarshalText([]byte(level)); err != nil {
		return c, fmt.Errorf("log level: %w", err)
	}
	if c.DemoHistory < 0 || c.DemoHistory > 120 {
		return c, errors.New("--demo-history must be 0–120 days")
	}
	if c.EventRetention < time.Hour {
		return c, errors.New("event retention must be at least 1h")
	}
	if c.DB != "" && !strings.HasPrefix(c.DB, "postgres://") && !strings.HasPrefix(c.DB, "postgresql://") {
		return c, errors.New("--db must be a postgres:// URL")
	}
	if c.Province && c.DB == "" {
		return c, errors.New("--province needs --db postgres://… (the centres share one PostgreSQL database)")
	}
	if c.ProvincePoll < 100*time.Millisecond || c.ProvincePoll > time.Hour {
		return c, errors.New("--province-poll must be between 100ms and 1h")
	}
	if c.PublicURL != "" && !strings.HasPrefix(c.PublicURL, "http://") && !strings.HasPrefix(c.PublicURL, "https://") {
		return c, errors.New("--public-url must start with http:// or https://")
	}
	if c.PublicURL == "" {
		c.PublicURL, c.PublicURLReachable = DefaultPublicURL(c.Addr, PickLAN(interfaces()))
		c.PublicURLDefault = true
	} else {
		c.PublicURLReachable = true
	}
	return c, nil
}

// Centre is a centre definition file.
type Centre struct {
	Name        protocol.Text      `json:"name"`
	TimeZone    string             `json:"timezone"`
	ReadNumbers string             `json:"read_numbers"`
	Notice      protocol.Text      `json:"notice"`
	Hours       protocol.Hours     `json:"hours"`
	Services    []CentreService    `json:"services"`
	Counters    []protocol.Counter `json:"counters"`
	Users       []CentreUser       `json:"users"`
}

// CentreService is a field in a centre file. Fields are enabled unless
// "enabled": false; their kiosk order is their order in the file. Group
// is the optional heading the kiosk lists the field under; a field no
// counter serves is refused unless accept_unserved is true.
type CentreService struct {
	ID             string         `json:"id"`
	Prefix         string         `json:"prefix"`
	Name           protocol.Text  `json:"name"`
	Group          *protocol.Text `json:"group"`
	DailyCap       int            `json:"daily_cap"`
	TargetMinutes  int            `json:"target_minutes"`
	Hours          protocol.Hours `json:"hours"`
	Enabled        *bool          `json:"enabled"`
	AcceptUnserved bool           `json:"accept_unserved"`
	// PriorityRule and PriorityEvery are the field's priority rule
	// (protocol.Service; absent: strict).
	PriorityRule  string `json:"priority_rule"`
	PriorityEvery int    `json:"priority_every"`
	// BookedPosition is where the field's booked tickets are called
	// (protocol.Service; absent: first).
	BookedPosition string `json:"booked_position"`
}

// CentreUser is a user created with the centre; passwords are generated
// and printed once, never stored in the file.
type CentreUser struct {
	Username   string   `json:"username"`
	Name       string   `json:"name"`
	Role       string   `json:"role"`
	CounterIDs []string `json:"counter_ids"`
}

// ParseCentre decodes and validates a centre file.
func ParseCentre(b []byte) (*Centre, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	var c Centre
	if err := dec.Decode(&c); err != nil {
		return nil, fmt.Errorf("centre file: %w", err)
	}
	if dec.More() {
		return nil, errors.New("centre file: trailing data after the JSON object")
	}
	if err := c.validate(); err != nil {
		return nil, fmt.Errorf("centre file: %w", err)
	}
	return &c, nil
}

// ProtocolCentre is the centre's settings part.
func (c *Centre) ProtocolCentre() protocol.Centre {
	rn := c.ReadNumbers
	if rn == "" {
		rn = protocol.ReadAsNumber
	}
	tz := c.TimeZone
	if tz == "" {
		tz = "Asia/Ho_Chi_Minh"
	}
	return protocol.Centre{Name: c.Name, TimeZone: tz, Notice: c.Notice, ReadNumbers: rn, Hours: c.Hours}
}

// ProtocolServices are the fields as protocol services, in kiosk order.
func (c *Centre) ProtocolServices() []protocol.Service {
	out := make([]protocol.Service, 0, len(c.Services))
	for i, s := range c.Services {
		en := s.Enabled == nil || *s.Enabled
		out = append(out, protocol.Service{ID: s.ID, Prefix: s.Prefix, Name: s.Name, Group: s.Group, DailyCap: s.DailyCap,
			TargetMinutes: s.TargetMinutes, Hours: s.Hours, Enabled: en, Order: i + 1, AcceptUnserved: s.AcceptUnserved,
			PriorityRule: s.PriorityRule, PriorityEvery: s.PriorityEvery, BookedPosition: s.BookedPosition})
	}
	return out
}

// ProtocolCounters are the counters, closed until a clerk opens them (a
// counter is open only while staffed: docs/API.md, "Open means staffed").
func (c *Centre) ProtocolCounters() []protocol.Counter {
	out := make([]protocol.Counter, 0, len(c.Counters))
	for _, k := range c.Counters {
		if k.Status == "" {
			k.Status = protocol.CounterClosed
		}
		if k.ServiceIDs == nil {
			k.ServiceIDs = []string{}
		}
		out = append(out, k)
	}
	return out
}

// Location is the centre's time zone.
func (c *Centre) Location() (*time.Location, error) {
	return time.LoadLocation(c.ProtocolCentre().TimeZone)
}

func (c *Centre) validate() error {
	pc := c.ProtocolCentre()
	if strings.TrimSpace(pc.Name.Vi) == "" {
		return errors.New("name.vi is required")
	}
	if _, err := time.LoadLocation(pc.TimeZone); err != nil {
		return fmt.Errorf("unknown time zone %q", pc.TimeZone)
	}
	if pc.ReadNumbers != protocol.ReadAsNumber && pc.ReadNumbers != protocol.ReadAsDigits {
		return errors.New(`read_numbers must be "number" or "digits"`)
	}
	if err := queue.ValidateHours(pc.Hours); err != nil {
		return fmt.Errorf("hours: %w", err)
	}
	if len(c.Services) == 0 {
		return errors.New("at least one service (field) is required")
	}
	ids, prefixes, accepts := map[string]bool{}, map[string]bool{}, map[string]bool{}
	for _, s := range c.ProtocolServices() {
		accepts[s.ID] = s.AcceptUnserved
		if err := queue.ValidateService(s); err != nil {
			return fmt.Errorf("service %q: %w", s.ID, err)
		}
		if ids[s.ID] {
			return fmt.Errorf("service id %q is used twice", s.ID)
		}
		if prefixes[s.Prefix] {
			return fmt.Errorf("prefix %q is used twice", s.Prefix)
		}
		ids[s.ID], prefixes[s.Prefix] = true, true
	}
	cids, nums := map[string]bool{}, map[int]bool{}
	served := map[string]bool{}
	for _, k := range c.ProtocolCounters() {
		if err := queue.ValidateCounter(k, ids); err != nil {
			return fmt.Errorf("counter %q: %w", k.ID, err)
		}
		if cids[k.ID] || nums[k.Number] {
			return fmt.Errorf("counter %q: id or number %d is used twice", k.ID, k.Number)
		}
		cids[k.ID], nums[k.Number] = true, true
		for _, id := range k.ServiceIDs {
			served[id] = true
		}
	}
	for id := range ids {
		if !served[id] && !accepts[id] {
			return fmt.Errorf("service %q is served by no counter (list it in a counter's service_ids, or set \"accept_unserved\": true to issue tickets for it all the same)", id)
		}
	}
	users := map[string]bool{}
	for _, u := range c.Users {
		if u.Role != protocol.RoleClerk && u.Role != protocol.RoleAdmin {
			return fmt.Errorf("user %q: role must be clerk or admin", u.Username)
		}
		if users[u.Username] {
			return fmt.Errorf("user %q is listed twice", u.Username)
		}
		users[u.Username] = true
		for _, id := range u.CounterIDs {
			if !cids[id] {
				return fmt.Errorf("user %q: unknown counter %q", u.Username, id)
			}
		}
	}
	return nil
}
