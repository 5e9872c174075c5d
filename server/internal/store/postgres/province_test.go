package postgres_test

import (
	"context"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/civiq/civiq/server/internal/province"
	"github.com/civiq/civiq/server/internal/queue"
	"github.com/civiq/civiq/server/internal/queue/enginetest"
	"github.com/civiq/civiq/server/internal/store/postgres"
	"github.com/civiq/civiq/server/protocol"
)

// TestProvinceAccounts: the province's registry and accounts on a real
// PostgreSQL: a reserved centre is listed only once ready and its id
// cannot be taken twice; logins check the password, sessions end at
// their time and with a disabled account, and tokens are stored hashed.
func TestProvinceAccounts(t *testing.T) {
	ctx := context.Background()
	url := srv.Database(t)
	ps := openProvince(t, url)
	// A second open (another instance) finds the schema made.
	openProvince(t, url).Close()

	c := province.Centre{ID: "huyen-a", Name: "Huyện A", TimeZone: "Asia/Ho_Chi_Minh", Created: time.Now()}
	if err := ps.ReserveCentre(ctx, c); err != nil {
		t.Fatal(err)
	}
	if err := ps.ReserveCentre(ctx, c); queue.CodeOf(err) != protocol.CodeConflict {
		t.Fatalf("second reservation: %v, want conflict", err)
	}
	if cs, _ := ps.Centres(ctx); len(cs) != 0 {
		t.Fatalf("a reserved centre is listed before it is ready: %+v", cs)
	}
	if err := ps.CentreReady(ctx, c.ID); err != nil {
		t.Fatal(err)
	}
	if cs, _ := ps.Centres(ctx); len(cs) != 1 || cs[0].ID != "huyen-a" || cs[0].Name != "Huyện A" {
		t.Fatalf("centres: %+v", cs)
	}
	if err := ps.ForgetCentre(ctx, c.ID); err != nil {
		t.Fatal(err)
	}
	if cs, _ := ps.Centres(ctx); len(cs) != 1 {
		t.Fatal("forgetting removed a ready centre")
	}

	clk := enginetest.NewClock(time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC))
	svc := province.New(ps, clk, time.Hour, 4)
	if _, err := svc.CreateUser(ctx, "giamsat", "Giám sát", province.RoleSupervisor, "supervisor-pw-1"); err != nil {
		t.Fatal(err)
	}
	for _, bad := range [][3]string{{"giamsat", province.RoleSupervisor, "another-pw-12"}, {"x y", province.RoleAdmin, "long-enough-pw"}, {"ok-name", "admin", "long-enough-pw"}, {"ok-name", province.RoleAdmin, "short"}} {
		if _, err := svc.CreateUser(ctx, bad[0], "", bad[1], bad[2]); err == nil {
			t.Fatalf("CreateUser %v accepted", bad)
		}
	}
	if _, _, _, err := svc.Login(ctx, "giamsat", "wrong-password"); queue.CodeOf(err) != protocol.CodeUnauthorized {
		t.Fatalf("wrong password: %v", err)
	}
	tok, u, _, err := svc.Login(ctx, "giamsat", "supervisor-pw-1")
	if err != nil || u.Role != province.RoleSupervisor || len(tok) < 40 || tok[:3] != province.TokenPrefix {
		t.Fatalf("login: %q %+v %v", tok, u, err)
	}
	pr, err := svc.Authenticate(ctx, tok)
	if err != nil || pr.Username != "giamsat" || province.CentreRole(pr.Role) != protocol.RoleSupervisor {
		t.Fatalf("authenticate: %+v %v", pr, err)
	}
	if ok, err := svc.Valid(ctx, province.TokenHash(tok)); !ok || err != nil {
		t.Fatalf("valid: %v %v", ok, err)
	}
	// Only the hash is stored.
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var n int
	if err := conn.QueryRow(ctx, `SELECT count(*) FROM civiq_province.sessions WHERE token_hash = $1`, []byte(tok)).Scan(&n); err != nil || n != 0 {
		t.Fatalf("the token itself is stored: %d %v", n, err)
	}
	// The session ends at its time.
	clk.Add(time.Hour)
	if _, err := svc.Authenticate(ctx, tok); queue.CodeOf(err) != protocol.CodeUnauthorized {
		t.Fatalf("expired session: %v", err)
	}
	if ok, _ := svc.Valid(ctx, province.TokenHash(tok)); ok {
		t.Fatal("an expired session is valid")
	}
	// A disabled account's session stops working.
	tok, _, _, err = svc.Login(ctx, "giamsat", "supervisor-pw-1")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := conn.Exec(ctx, `UPDATE civiq_province.users SET disabled = true WHERE username = 'giamsat'`); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Authenticate(ctx, tok); queue.CodeOf(err) != protocol.CodeUnauthorized {
		t.Fatalf("disabled account: %v", err)
	}
	if _, _, _, err := svc.Login(ctx, "giamsat", "supervisor-pw-1"); queue.CodeOf(err) != protocol.CodeUnauthorized {
		t.Fatalf("login of a disabled account: %v", err)
	}
	if _, err := svc.Authenticate(ctx, "not-a-province-token"); queue.CodeOf(err) != protocol.CodeUnauthorized {
		t.Fatalf("foreign token: %v", err)
	}
}

// openProvince opens the province store on url (closed when the test
// ends; closing it sooner is harmless).
func openProvince(t *testing.T, url string) *postgres.Province {
	t.Helper()
	ps, err := postgres.OpenProvince(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(ps.Close)
	return ps
}

// conn is a connection of its own to url, closed when the test ends.
func conn(t *testing.T, url string) *pgx.Conn {
	t.Helper()
	c, err := pgx.Connect(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close(context.Background()) })
	return c
}
