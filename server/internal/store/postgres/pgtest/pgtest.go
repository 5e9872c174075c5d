// Package pgtest runs a real, throw-away PostgreSQL server for tests: the
// binaries of the machine's PostgreSQL (15 preferred) initialise a cluster
// in a temporary folder, the server listens on a free loopback port and on a
// unix socket inside that folder, and it runs as the unprivileged postgres
// user when the tests run as root (PostgreSQL refuses to run as root). One
// server serves a whole test binary (start it in TestMain); each test gets a
// database of its own, dropped when the test ends.
package pgtest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// owner is the system user the server runs as.
type owner struct{ uid, gid int }

// Server is a running PostgreSQL server.
type Server struct {
	dir  string // temporary folder: data/, sock/, log
	bin  string
	data string
	sock string
	port int
	cred *owner // nil: run as the current user
	cmd  *exec.Cmd
	done chan struct{} // closed when the server process has exited
	next atomic.Int64  // database name counter
}

// BinDir finds the PostgreSQL server binaries: $CIVIQ_PG_BIN, else
// /usr/lib/postgresql/15/bin, else the newest /usr/lib/postgresql/*/bin.
func BinDir() (string, error) {
	if d := os.Getenv("CIVIQ_PG_BIN"); d != "" {
		return d, nil
	}
	if _, err := os.Stat("/usr/lib/postgresql/15/bin/initdb"); err == nil {
		return "/usr/lib/postgresql/15/bin", nil
	}
	m, _ := filepath.Glob("/usr/lib/postgresql/*/bin/initdb")
	sort.Slice(m, func(i, j int) bool {
		a, _ := strconv.Atoi(filepath.Base(filepath.Dir(filepath.Dir(m[i]))))
		b, _ := strconv.Atoi(filepath.Base(filepath.Dir(filepath.Dir(m[j]))))
		return a > b
	})
	if len(m) > 0 {
		return filepath.Dir(m[0]), nil
	}
	return "", errors.New("pgtest: no PostgreSQL server binaries (install the postgresql package: scripts/deps.sh, or set CIVIQ_PG_BIN)")
}

// Start initialises a cluster in a new temporary folder and starts the
// server. Stop it (and remove the folder) with Stop.
func Start(ctx context.Context) (*Server, error) {
	bin, err := BinDir()
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "civiq-pg-")
	if err != nil {
		return nil, err
	}
	s := &Server{dir: dir}
	ok := false
	defer func() {
		if !ok {
			s.Stop()
		}
	}()
	if os.Geteuid() == 0 {
		// PostgreSQL will not run as root: hand the folder to the postgres
		// system user and run the binaries as it.
		u, err := user.Lookup("postgres")
		if err != nil {
			return nil, fmt.Errorf("pgtest: running as root needs the postgres system user: %w", err)
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		s.cred = &owner{uid: uid, gid: gid}
		if err := os.Chown(dir, uid, gid); err != nil {
			return nil, err
		}
	}
	data, sock := filepath.Join(dir, "data"), filepath.Join(dir, "sock")
	if err := os.Mkdir(sock, 0o700); err != nil {
		return nil, err
	}
	if s.cred != nil {
		if err := os.Chown(sock, s.cred.uid, s.cred.gid); err != nil {
			return nil, err
		}
	}
	if out, err := s.command(ctx, filepath.Join(bin, "initdb"), "-D", data, "-U", "postgres", "--auth=trust",
		"-E", "UTF8", "--locale=C", "--no-sync").CombinedOutput(); err != nil {
		return nil, fmt.Errorf("pgtest: initdb: %v\n%s", err, out)
	}
	if s.port, err = freePort(); err != nil {
		return nil, err
	}
	s.bin, s.data, s.sock = bin, data, sock
	if err := s.launch(ctx); err != nil {
		return nil, err
	}
	ok = true
	return s, nil
}

// launch starts the server process on the initialised cluster and waits
// until it accepts connections.
func (s *Server) launch(ctx context.Context) error {
	// The server is a child of this process, not a daemon (pg_ctl would
	// detach it): Pdeathsig stops it even when the test binary is killed.
	var log bytes.Buffer
	s.done = make(chan struct{})
	// Settings of a small real deployment (docs/DEPLOY.md), durability
	// untouched (fsync, synchronous_commit and full_page_writes on): WAL
	// buffers large enough for a group commit's batch, and statistics
	// soon after a database is created (a new database's first plans are
	// made on empty tables; a running centre's have statistics).
	args := []string{"-D", s.data,
		"-p", strconv.Itoa(s.port), "-k", s.sock, "-c", "listen_addresses=127.0.0.1",
		"-c", "max_connections=300", "-c", "shared_buffers=128MB", "-c", "wal_buffers=16MB",
		"-c", "autovacuum_naptime=1s", "-c", "log_min_messages=warning"}
	// More settings for a measurement (the benchmark's profiling:
	// CIVIQ_PG_SETTINGS="shared_preload_libraries=pg_stat_statements").
	for _, kv := range strings.Fields(os.Getenv("CIVIQ_PG_SETTINGS")) {
		args = append(args, "-c", kv)
	}
	s.cmd = s.command(context.Background(), filepath.Join(s.bin, "postgres"), args...)
	s.cmd.Stdout, s.cmd.Stderr = &log, &log
	s.cmd.SysProcAttr = sysProcAttr(s.cred, true)
	if err := s.cmd.Start(); err != nil {
		return fmt.Errorf("pgtest: start postgres: %w", err)
	}
	cmd, done := s.cmd, s.done
	go func() { cmd.Wait(); close(done) }()
	deadline := time.Now().Add(60 * time.Second)
	for {
		c, err := pgx.Connect(ctx, s.URL("postgres"))
		if err == nil {
			c.Close(ctx)
			return nil
		}
		select {
		case <-done:
			return fmt.Errorf("pgtest: postgres exited: %s", log.String())
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("pgtest: postgres did not accept connections within 60 s: %v", err)
		}
	}
}

// Pause stops the server process (fast shutdown: connections are ended),
// keeping its data; Resume starts it again on the same port.
func (s *Server) Pause() error { return s.halt() }

// Resume starts the server paused by Pause.
func (s *Server) Resume(ctx context.Context) error { return s.launch(ctx) }

// halt stops the server process if it runs.
func (s *Server) halt() error {
	if s.cmd == nil || s.cmd.Process == nil {
		return nil
	}
	select {
	case <-s.done:
		return nil
	default:
	}
	_ = s.cmd.Process.Signal(os.Interrupt)
	select {
	case <-s.done:
		return nil
	case <-time.After(30 * time.Second):
		_ = s.cmd.Process.Kill()
		<-s.done
		return errors.New("pgtest: postgres did not stop within 30 s; killed")
	}
}

func (s *Server) command(ctx context.Context, name string, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir = s.dir
	cmd.Env = append(os.Environ(), "LC_ALL=C")
	cmd.SysProcAttr = sysProcAttr(s.cred, false)
	return cmd
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// URL is the connection URL of database db (over loopback TCP).
func (s *Server) URL(db string) string {
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/%s?sslmode=disable", s.port, db)
}

// Port is the server's TCP port.
func (s *Server) Port() int { return s.port }

// PID is the process id of the running server (its backends are its
// children), 0 when it does not run.
func (s *Server) PID() int {
	if s.cmd == nil || s.cmd.Process == nil {
		return 0
	}
	return s.cmd.Process.Pid
}

// Stop shuts the server down (fast shutdown: open connections are ended)
// and removes its folder.
func (s *Server) Stop() error {
	return errors.Join(s.halt(), os.RemoveAll(s.dir))
}

// CreateDatabase creates a new empty database and returns its URL.
func (s *Server) CreateDatabase(ctx context.Context) (name, url string, err error) {
	name = fmt.Sprintf("civiq_test_%d", s.next.Add(1))
	c, err := pgx.Connect(ctx, s.URL("postgres"))
	if err != nil {
		return "", "", err
	}
	defer c.Close(ctx)
	if _, err := c.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize()+" TEMPLATE template0 ENCODING 'UTF8'"); err != nil {
		return "", "", fmt.Errorf("pgtest: create database: %w", err)
	}
	return name, s.URL(name), nil
}

// DropDatabase drops a database, ending the connections still open to it.
func (s *Server) DropDatabase(ctx context.Context, name string) error {
	c, err := pgx.Connect(ctx, s.URL("postgres"))
	if err != nil {
		return err
	}
	defer c.Close(ctx)
	_, err = c.Exec(ctx, "DROP DATABASE IF EXISTS "+pgx.Identifier{name}.Sanitize()+" WITH (FORCE)")
	return err
}

// Database gives test t a new database of its own, dropped when t ends,
// and returns its URL.
func (s *Server) Database(t testing.TB) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	name, url, err := s.CreateDatabase(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := s.DropDatabase(ctx, name); err != nil {
			t.Errorf("pgtest: drop database %s: %v", name, err)
		}
	})
	return url
}

// Main runs a test binary's tests with one server started for all of them
// and stopped afterwards: func TestMain(m *testing.M) { pgtest.Main(m, &srv) }.
func Main(m *testing.M, srv **Server) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	s, err := Start(ctx)
	cancel()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	*srv = s
	code := m.Run()
	if err := s.Stop(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		if code == 0 {
			code = 1
		}
	}
	os.Exit(code)
}

// Ticket is one row of a CiviQ database's tickets table: the code, the
// field it was issued for and its number in that field.
type Ticket struct {
	Code   string
	Field  string
	Number int
}

// Tickets reads every ticket stored in the CiviQ database at url, for tests
// that hold what was acknowledged against what was stored.
func Tickets(ctx context.Context, t testing.TB, url string) []Ticket {
	t.Helper()
	c, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close(ctx)
	rows, err := c.Query(ctx, `SELECT code, issue_service_id, number FROM tickets`)
	if err != nil {
		t.Fatal(err)
	}
	stored, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Ticket, error) {
		var tk Ticket
		err := r.Scan(&tk.Code, &tk.Field, &tk.Number)
		return tk, err
	})
	if err != nil {
		t.Fatal(err)
	}
	return stored
}

// CheckAckedStored fails t for every acknowledged ticket code that is not
// among the stored tickets.
func CheckAckedStored(t testing.TB, acked map[string]bool, stored []Ticket) {
	t.Helper()
	have := make(map[string]bool, len(stored))
	for _, tk := range stored {
		have[tk.Code] = true
	}
	for code := range acked {
		if !have[code] {
			t.Errorf("acknowledged ticket %s is not stored", code)
		}
	}
}

// NoAcksUntil fails t if a ticket is acknowledged from now until the time
// until (while PostgreSQL is down): acked, read under mu, must not grow.
func NoAcksUntil(t testing.TB, mu *sync.Mutex, acked map[string]bool, until time.Time) {
	t.Helper()
	mu.Lock()
	before := len(acked)
	mu.Unlock()
	time.Sleep(time.Until(until))
	mu.Lock()
	defer mu.Unlock()
	if len(acked) != before {
		t.Errorf("%d issues acknowledged while PostgreSQL was down", len(acked)-before)
	}
}
