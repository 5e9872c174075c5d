package main

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/civiq/civiq/server/internal/store/postgres/pgtest"
)

// shared holds what the tests of this binary share, each made on first use
// and removed by TestMain: the server binary (a link of the whole program
// costs seconds) and a PostgreSQL server (initdb and a start cost seconds;
// each test gets databases of its own on it, dropped when the test ends).
// A test that stops or pauses PostgreSQL starts its own (startPostgres).
var shared = &sharedSetup{}

type sharedSetup struct {
	binOnce sync.Once
	binDir  string
	bin     string
	binErr  error

	pgOnce sync.Once
	pg     *pgtest.Server
	pgErr  error
}

func TestMain(m *testing.M) {
	code := m.Run()
	os.Exit(max(code, shared.close()))
}

// close removes what was made; it makes nothing that was not.
func (s *sharedSetup) close() int {
	gone := errors.New("the tests are over")
	s.binOnce.Do(func() { s.binErr = gone })
	s.pgOnce.Do(func() { s.pgErr = gone })
	code := 0
	if s.binDir != "" {
		os.RemoveAll(s.binDir)
	}
	if s.pg != nil {
		if err := s.pg.Stop(); err != nil {
			os.Stderr.WriteString("stop the shared PostgreSQL: " + err.Error() + "\n")
			code = 1
		}
	}
	return code
}

// buildServer compiles the real server binary once per test binary.
func buildServer(t *testing.T) string {
	t.Helper()
	s := shared
	s.binOnce.Do(func() {
		if s.binDir, s.binErr = os.MkdirTemp("", "civiq-server-test-"); s.binErr != nil {
			return
		}
		s.bin = filepath.Join(s.binDir, "server")
		cmd := exec.Command("go", "build", "-o", s.bin, ".")
		cmd.Stderr = os.Stderr
		s.binErr = cmd.Run()
	})
	if s.binErr != nil {
		t.Fatalf("go build: %v", s.binErr)
	}
	return s.bin
}

// sharedPostgres is the PostgreSQL server the tests share.
func sharedPostgres(t *testing.T) *pgtest.Server {
	t.Helper()
	s := shared
	s.pgOnce.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		s.pg, s.pgErr = pgtest.Start(ctx)
	})
	if s.pgErr != nil {
		t.Fatal(s.pgErr)
	}
	return s.pg
}
