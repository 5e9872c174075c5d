package webtest

import (
	"context"
	"strings"
	"testing"

	"github.com/civiq/civiq/server/protocol"
)

// TestAdminPairingCode: on the Devices page "Pair a kiosk/display" shows a
// one-time code and the command to type; the code, typed as shown (with
// its space), pairs a kiosk once; the new kiosk is in the device list.
// The centre page's "kiosks start in large text" reaches the API.
func TestAdminPairingCode(t *testing.T) {
	srv := startServer(t)
	p := newTab(t, srv)
	openAdmin(p, "devices")
	p.click("#device-pair")
	p.setValue("#pair-kind", "kiosk")
	p.setValue("#pair-name", "Ki-ốt tầng 2")
	p.click(".dialog button[type=submit]")
	p.wait(`document.querySelector('#pair-code')`, "the pairing code")
	code := p.textOf("#pair-code")
	cmd := p.textOf("#pair-cmd")
	if len(code) != 9 || code[4] != ' ' {
		t.Fatalf("pairing code shown as %q", code)
	}
	if !strings.Contains(cmd, "kiosk pair "+strings.ReplaceAll(code, " ", "")+" --server ") {
		t.Errorf("command shown: %q", cmd)
	}
	d, err := srv.Client("").Pair(context.Background(), code)
	if err != nil {
		t.Fatalf("pair with the code shown: %v", err)
	}
	if d.Kind != protocol.RoleKiosk || d.Name != "Ki-ốt tầng 2" || d.Token == "" {
		t.Fatalf("paired %+v", d)
	}
	if _, err := srv.Client("").Pair(context.Background(), code); err == nil {
		t.Fatal("the code paired twice")
	}
	p.click("#pair-dialog ~ .dialog-actions button")
	p.waitText("#devices", "Ki-ốt tầng 2")

	p.open("/admin#centre")
	p.wait(`document.querySelector('#centre-kiosk-large')`, "the large-text setting")
	eval[bool](p, `(document.querySelector('#centre-kiosk-large').click(), true)`)
	p.click("#centre-save")
	p.waitText("#centre-msg", "Đã lưu")
	c, err := srv.Client("").Centre(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if c.KioskLargeText == nil || !*c.KioskLargeText {
		t.Errorf("centre after saving: kiosk_large_text %v", c.KioskLargeText)
	}
}
