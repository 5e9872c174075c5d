package wiring_test

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"go.uber.org/goleak"
	"golang.org/x/crypto/bcrypt"

	"github.com/civiq/civiq/server/internal/config"
	"github.com/civiq/civiq/server/internal/province"
	"github.com/civiq/civiq/server/internal/queue"
	"github.com/civiq/civiq/server/internal/store/postgres/pgtest"
	"github.com/civiq/civiq/server/internal/wiring"
	"github.com/civiq/civiq/server/protocol"
)

// TestProvinceCreateOverLeftSchema: a centre whose creation failed after
// its schema was made (its registry entry gone) is created again with the
// same id, and the admin password returned is the one that works; an id
// served already is refused; a province closes with every goroutine it
// started.
func TestProvinceCreateOverLeftSchema(t *testing.T) {
	ctx := context.Background()
	cfg, opts := provinceSetup(t)
	url := cfg.DB
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	open := func() *wiring.Province { return openProvince(t, cfg, opts, nil) }
	c := province.Centre{ID: "huyen-z", Name: "Huyện Z", TimeZone: "Asia/Ho_Chi_Minh", Created: time.Now()}
	p := open()
	pw1, err := p.CreateCentre(ctx, c)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.CreateCentre(ctx, c); queue.CodeOf(err) != protocol.CodeConflict {
		t.Fatalf("second creation: %v", err)
	}
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := conn.Exec(ctx, `DELETE FROM civiq_province.centres WHERE id = 'huyen-z'`); err != nil {
		t.Fatal(err)
	}
	conn.Close(ctx)

	p = open()
	defer p.Close()
	if p.App("huyen-z") != nil {
		t.Fatal("a centre not in the registry is served")
	}
	pw2, err := p.CreateCentre(ctx, c)
	if err != nil {
		t.Fatal(err)
	}
	if pw2 == pw1 {
		t.Fatal("the same password twice")
	}
	a := p.App("huyen-z")
	if _, _, _, err := a.Auth.Login(ctx, "admin", pw2); err != nil {
		t.Fatalf("the returned password: %v", err)
	}
	if _, _, _, err := a.Auth.Login(ctx, "admin", pw1); err == nil {
		t.Fatal("the old password still works")
	}
}

// TestProvinceLoginLimitShared: two province instances on one database
// share the province login's limit (5 attempts a burst per address):
// wrong passwords sent alternately to both are refused with 429 once the
// one budget is spent, on both.
func TestProvinceLoginLimitShared(t *testing.T) {
	cfg, opts := provinceSetup(t)
	var urls []string
	for range 2 {
		p := openProvince(t, cfg, opts, nil)
		hs := httptest.NewServer(p.Handler())
		t.Cleanup(func() { hs.Close(); p.Close() })
		urls = append(urls, hs.URL)
	}
	login := func(base string) int {
		t.Helper()
		resp, err := http.Post(base+"/api/v1/province/login", "application/json", strings.NewReader(`{"username":"admin","password":"sai-mat-khau"}`))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	for i := range 5 {
		if st := login(urls[i%2]); st != http.StatusUnauthorized {
			t.Fatalf("wrong password %d on instance %d: %d, want 401", i+1, i%2+1, st)
		}
	}
	for i, u := range urls {
		if st := login(u); st != http.StatusTooManyRequests {
			t.Fatalf("wrong password %d on instance %d: %d, want 429: the budget is the province's", 6+i, i+1, st)
		}
	}
}

// provinceSetup starts a throw-away PostgreSQL (stopped when the test
// ends) and gives the configuration of province servers on a database of
// it; each reads the registry when the test says (a poll of an hour).
func provinceSetup(t *testing.T) (config.Config, wiring.Options) {
	t.Helper()
	pg, err := pgtest.Start(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pg.Stop() })
	cfg := config.Config{DB: pg.Database(t), AdminPassword: "default-admin-pw", ProvincePassword: "province-pw-123",
		ProvincePoll: time.Hour, EventRetention: 90 * 24 * time.Hour}
	return cfg, wiring.Options{BcryptCost: bcrypt.MinCost}
}

// openProvince opens a province server instance (its default centre and
// the province) on cfg; log nil discards its log. The caller closes it.
func openProvince(t *testing.T, cfg config.Config, opts wiring.Options, log *slog.Logger) *wiring.Province {
	t.Helper()
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	ctx := context.Background()
	def, err := wiring.Open(ctx, cfg, log, opts)
	if err != nil {
		t.Fatal(err)
	}
	p, err := wiring.OpenProvince(ctx, cfg, log, def, opts)
	if err != nil {
		def.Close()
		t.Fatal(err)
	}
	return p
}
