package httpapi_test

import (
	"context"
	"errors"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/civiq/civiq/server/internal/auth"
	"github.com/civiq/civiq/server/protocol"
	"github.com/civiq/civiq/server/servertest"
)

// liveSocket is a real /ws client that has received its snapshot.
type liveSocket struct {
	t  *testing.T
	ws *websocket.Conn
}

func openSocket(t *testing.T, s *servertest.Server, token string) *liveSocket {
	t.Helper()
	ws, resp, err := websocket.DefaultDialer.Dial("ws"+strings.TrimPrefix(s.URL, "http")+"/ws?token="+token, nil)
	if err != nil {
		status := 0
		if resp != nil {
			status = resp.StatusCode
		}
		t.Fatalf("dial /ws: %v (HTTP %d)", err, status)
	}
	t.Cleanup(func() { ws.Close() })
	var ev protocol.Event
	ws.SetReadDeadline(time.Now().Add(10 * time.Second))
	if err := ws.ReadJSON(&ev); err != nil || ev.Type != protocol.EventSnapshot {
		t.Fatalf("first message %+v, %v", ev, err)
	}
	return &liveSocket{t: t, ws: ws}
}

// closedBy reads until the socket ends, by deadline at the latest, and
// returns the types of the events it received meanwhile and how it ended.
func (l *liveSocket) closedBy(deadline time.Time) ([]string, error) {
	l.ws.SetReadDeadline(deadline)
	var types []string
	for {
		var ev protocol.Event
		if err := l.ws.ReadJSON(&ev); err != nil {
			return types, err
		}
		types = append(types, ev.Type)
	}
}

// assertRevoked checks that the socket was closed as revoked (1008) within
// a second of the change and received no event after it, even though
// another change (after) published one.
func (l *liveSocket) assertRevoked(after func()) {
	l.t.Helper()
	changed := time.Now()
	after()
	types, err := l.closedBy(changed.Add(time.Second))
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		l.t.Fatalf("socket still open 1 s after the change (events %v)", types)
	}
	if !websocket.IsCloseError(err, websocket.ClosePolicyViolation) {
		l.t.Fatalf("socket ended with %v, want close 1008", err)
	}
	if len(types) > 0 {
		l.t.Fatalf("events after the change: %v", types)
	}
}

// TestRevocationClosesWebsockets: each kind of revocation closes the
// websockets that stand on the credential (display, clerk console, admin
// dashboard) at once, and the credential stops working.
func TestRevocationClosesWebsockets(t *testing.T) {
	s := servertest.Start(t, servertest.Options{NoRateLimits: true})
	admin := s.AdminToken()
	ctx := context.Background()
	// pause publishes an event every socket would otherwise receive.
	pause := func() {
		t.Helper()
		if st, b := call(t, "PUT", s.URL+"/api/v1/counters/q3/status", admin, `{"status":"paused"}`); st != 200 {
			t.Fatalf("pause %d %s", st, b)
		}
		if st, b := call(t, "PUT", s.URL+"/api/v1/counters/q3/status", admin, `{"status":"open"}`); st != 200 {
			t.Fatalf("open %d %s", st, b)
		}
	}
	gone := func(tok string) {
		t.Helper()
		if st, b := call(t, "GET", s.URL+"/api/v1/board", tok, ""); st != 401 {
			t.Fatalf("revoked credential still works: %d %s", st, b)
		}
	}
	userID := func(name string) string {
		u, err := s.App.Store.UserByName(ctx, name)
		if err != nil {
			t.Fatal(err)
		}
		return u.ID
	}

	t.Run("device revoked", func(t *testing.T) {
		d, err := s.Client(admin).CreateDevice(ctx, protocol.RoleDisplay, "TV sảnh")
		if err != nil {
			t.Fatal(err)
		}
		other := s.DeviceToken(protocol.RoleDisplay, "TV tầng 2")
		keep := openSocket(t, s, other)
		sock := openSocket(t, s, d.Token)
		sock.assertRevoked(func() {
			if st, b := call(t, "DELETE", s.URL+"/api/v1/devices/"+d.ID, admin, ""); st != 204 {
				t.Fatalf("revoke %d %s", st, b)
			}
			pause()
		})
		gone(d.Token)
		// The other display keeps its feed.
		keep.ws.SetReadDeadline(time.Now().Add(5 * time.Second))
		var ev protocol.Event
		if err := keep.ws.ReadJSON(&ev); err != nil || ev.Type != protocol.EventCounterUpdated {
			t.Fatalf("other display: %+v, %v", ev, err)
		}
	})

	t.Run("clerk logout", func(t *testing.T) {
		tok := s.ClerkToken("canbo1")
		sock := openSocket(t, s, tok)
		sock.assertRevoked(func() {
			if st, b := call(t, "POST", s.URL+"/api/v1/logout", tok, ""); st != 204 {
				t.Fatalf("logout %d %s", st, b)
			}
			pause()
		})
		gone(tok)
	})

	t.Run("clerk disabled", func(t *testing.T) {
		tok := s.ClerkToken("canbo2")
		id := userID("canbo2")
		sock := openSocket(t, s, tok)
		sock.assertRevoked(func() {
			if st, b := call(t, "PATCH", s.URL+"/api/v1/users/"+id, admin, `{"disabled":true}`); st != 200 {
				t.Fatalf("disable %d %s", st, b)
			}
			pause()
		})
		gone(tok)
		// A session left in storage while disabled (as older versions
		// kept them) is not revived by enabling the account again.
		left := auth.NewToken()
		if err := s.App.Store.CreateSession(ctx, auth.Session{TokenHash: auth.HashToken(left), UserID: id, CSRF: "x",
			CreatedAt: time.Now(), ExpiresAt: time.Now().Add(time.Hour)}); err != nil {
			t.Fatal(err)
		}
		if st, b := call(t, "PATCH", s.URL+"/api/v1/users/"+id, admin, `{"disabled":false}`); st != 200 {
			t.Fatalf("enable %d %s", st, b)
		}
		gone(tok)
		gone(left)
	})

	t.Run("clerk password reset", func(t *testing.T) {
		tok := s.ClerkToken("canbo3")
		_, _, _, err := s.App.Auth.Login(ctx, "canbo3", servertest.ClerkPassword("canbo3"))
		if err != nil {
			t.Fatal(err)
		}
		second := openSocket(t, s, tok)
		sock := openSocket(t, s, tok)
		sock.assertRevoked(func() {
			if st, b := call(t, "PATCH", s.URL+"/api/v1/users/"+userID("canbo3"), admin, `{"password":"một-mật-khẩu-mới"}`); st != 200 {
				t.Fatalf("reset %d %s", st, b)
			}
			pause()
		})
		second.assertRevoked(func() {})
		gone(tok)
		if _, _, _, err := s.App.Auth.Login(ctx, "canbo3", "một-mật-khẩu-mới"); err != nil {
			t.Fatalf("new password: %v", err)
		}
	})

	t.Run("admin dashboard logout", func(t *testing.T) {
		lr, err := s.Client("").Login(ctx, "admin", servertest.AdminPassword)
		if err != nil {
			t.Fatal(err)
		}
		sock := openSocket(t, s, lr.Token)
		sock.assertRevoked(func() {
			if st, b := call(t, "POST", s.URL+"/api/v1/logout", lr.Token, ""); st != 204 {
				t.Fatalf("logout %d %s", st, b)
			}
			pause()
		})
		gone(lr.Token)
	})

	t.Run("own password change keeps the own session only", func(t *testing.T) {
		lr, err := s.Client("").Login(ctx, "admin", servertest.AdminPassword)
		if err != nil {
			t.Fatal(err)
		}
		mine := openSocket(t, s, admin)
		other := openSocket(t, s, lr.Token)
		other.assertRevoked(func() {
			if st, b := call(t, "PATCH", s.URL+"/api/v1/users/"+userID("admin"), admin, `{"password":"`+servertest.AdminPassword+`"}`); st != 200 {
				t.Fatalf("own password %d %s", st, b)
			}
			pause()
		})
		gone(lr.Token)
		mine.ws.SetReadDeadline(time.Now().Add(5 * time.Second))
		var ev protocol.Event
		if err := mine.ws.ReadJSON(&ev); err != nil || ev.Type != protocol.EventCounterUpdated {
			t.Fatalf("own dashboard: %+v, %v", ev, err)
		}
		if st, _ := call(t, "GET", s.URL+"/api/v1/board", admin, ""); st != 200 {
			t.Fatalf("own session ended: %d", st)
		}
	})
}

// TestSessionExpiryClosesWebsocket: a clerk console's socket closes when
// its session ends, without any request.
func TestSessionExpiryClosesWebsocket(t *testing.T) {
	const ttl = 1500 * time.Millisecond
	s := servertest.Start(t, servertest.Options{SessionTTL: ttl})
	ctx := context.Background()
	u, err := s.App.Store.UserByName(ctx, "canbo1")
	if err != nil {
		t.Fatal(err)
	}
	if err := s.App.Auth.SetPassword(ctx, u.ID, "clerk-password-1"); err != nil {
		t.Fatal(err)
	}
	tok, sess, _, err := s.App.Auth.Login(ctx, "canbo1", "clerk-password-1")
	if err != nil {
		t.Fatal(err)
	}
	sock := openSocket(t, s, tok)
	types, err := sock.closedBy(sess.ExpiresAt.Add(time.Second))
	if !websocket.IsCloseError(err, websocket.ClosePolicyViolation) {
		t.Fatalf("at expiry: %v (events %v), want close 1008 within 1 s", err, types)
	}
	if st, _ := call(t, "GET", s.URL+"/api/v1/board", tok, ""); st != 401 {
		t.Fatalf("expired session: %d", st)
	}
}
