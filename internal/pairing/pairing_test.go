package pairing

import (
	"bytes"
	"context"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/civiq/civiq/server/protocol"
	"github.com/civiq/civiq/server/servertest"
)

func code(t *testing.T, srv *servertest.Server, kind string) string {
	t.Helper()
	var pc protocol.PairingCode
	if _, err := srv.Client(srv.AdminToken()).Do(context.Background(), http.MethodPost, "/api/v1/devices/pairing",
		protocol.DeviceRequest{Kind: kind, Name: "Thiết bị " + kind}, &pc, nil); err != nil {
		t.Fatal(err)
	}
	return pc.Code
}

// TestPairWritesToken: "kiosk pair CODE --server URL" against a real
// server writes a token that works, readable by its owner only; the same
// code again fails and leaves the file alone; a display's code is refused
// by the kiosk.
func TestPairWritesToken(t *testing.T) {
	srv := servertest.Start(t, servertest.Options{})
	tokFile := filepath.Join(t.TempDir(), "etc", "kiosk.token")
	env := func(string) string { return "" }
	c := code(t, srv, protocol.RoleKiosk)
	var out, errb bytes.Buffer
	if err := Run(context.Background(), protocol.RoleKiosk, []string{c, "--server", srv.URL, "--token-file", tokFile}, env, &out, &errb); err != nil {
		t.Fatalf("pair: %v\n%s", err, errb.String())
	}
	b, err := os.ReadFile(tokFile)
	if err != nil {
		t.Fatal(err)
	}
	tok := strings.TrimSpace(string(b))
	if st, _ := os.Stat(tokFile); st.Mode().Perm() != 0o600 {
		t.Errorf("token file mode %v", st.Mode().Perm())
	}
	if err := srv.Client(tok).Heartbeat(context.Background(), protocol.DeviceStatus{}); err != nil {
		t.Fatalf("the written token does not work: %v", err)
	}
	if !strings.Contains(out.String(), "paired") {
		t.Errorf("output %q", out.String())
	}
	// Used: refused, the file kept.
	if err := Run(context.Background(), protocol.RoleKiosk, []string{"--server", srv.URL, "--token-file", tokFile, c}, env, &out, &errb); err == nil {
		t.Fatal("a used code paired again")
	}
	if b2, _ := os.ReadFile(tokFile); !bytes.Equal(b, b2) {
		t.Error("a failed pairing changed the token file")
	}
	// A display's code on a kiosk; env supplies the server and file.
	env2 := func(k string) string {
		return map[string]string{"CIVIQ_SERVER": srv.URL, "CIVIQ_TOKEN_FILE": tokFile + ".2"}[k]
	}
	if err := Run(context.Background(), protocol.RoleKiosk, []string{code(t, srv, protocol.RoleDisplay)}, env2, &out, &errb); err == nil || !strings.Contains(err.Error(), "display") {
		t.Errorf("a display's code on a kiosk: %v", err)
	}
	if _, err := os.Stat(tokFile + ".2"); err == nil {
		t.Error("a token was written for the wrong kind")
	}
	// CIVIQ_SERVER listing two instances, the first gone: paired through
	// the second.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	gone := "http://" + ln.Addr().String()
	ln.Close()
	env3 := func(k string) string {
		return map[string]string{"CIVIQ_SERVER": gone + "," + srv.URL, "CIVIQ_TOKEN_FILE": tokFile + ".3"}[k]
	}
	if err := Run(context.Background(), protocol.RoleKiosk, []string{code(t, srv, protocol.RoleKiosk)}, env3, &out, &errb); err != nil {
		t.Errorf("pairing with two addresses, the first gone: %v", err)
	}
	for _, args := range [][]string{{}, {"12345678"}, {"12345678", "--server", srv.URL}} {
		if err := Run(context.Background(), protocol.RoleKiosk, args, env, &out, &errb); err == nil {
			t.Errorf("%v: no error", args)
		}
	}
}
