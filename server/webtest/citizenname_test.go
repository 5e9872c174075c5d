package webtest

import (
	"context"
	"strings"
	"testing"

	"github.com/civiq/civiq/server/protocol"
)

// TestConsoleCitizenName: with the centre's show_citizen_name on, the name
// read from the ID card scanned at the kiosk shows on the clerk console of
// the counter serving that ticket (after next and recall), on no other
// console, and not after the ticket is finished; with the setting off it
// never shows, not even for a ticket issued while it was on. Screenshot:
// docs/screenshots/console-citizen-name-1366x768.png.
func TestConsoleCitizenName(t *testing.T) {
	const (
		nameOff  = "Trần Thị Tắt"
		nameOn   = "Nguyễn Văn Hiện"
		nameLate = "Lê Thị Muộn"
	)
	srv := startServer(t)
	ctx := context.Background()
	admin := srv.Client(srv.AdminToken())
	kiosk := srv.Client(srv.DeviceToken("kiosk", "Ki-ốt tên"))
	setShow := func(on bool) {
		t.Helper()
		c, err := admin.Centre(ctx)
		if err != nil {
			t.Fatal(err)
		}
		c.ShowCitizenName = &on
		if _, err := admin.Do(ctx, "PUT", "/api/v1/centre", c, nil, nil); err != nil {
			t.Fatal(err)
		}
	}
	issue := func(name string) protocol.Ticket {
		t.Helper()
		req := protocol.IssueRequest{ServiceID: "dat-dai", Lang: "vi"}
		if name != "" {
			req.IDCard = &protocol.IssueIDCard{Number: "079301004567", BirthYear: 1970, Name: name}
		}
		tk, err := kiosk.IssueTicket(ctx, req, "")
		if err != nil {
			t.Fatal(err)
		}
		return tk
	}
	p := newTab(t, srv)
	openConsole(p, "canbo1") // q1 serves Đất đai
	other := newTab(t, srv)
	openConsole(other, "canbo2") // q2 serves Đất đai too
	noName := func(p *tab, name, when string) {
		t.Helper()
		if s := p.text(); strings.Contains(s, name) || eval[bool](p, `!!document.querySelector('#current-citizen')`) {
			t.Errorf("%s: the console shows a citizen name:\n%s", when, s)
		}
	}

	// Off (the default): the kiosk may send a name, it never shows.
	a := issue(nameOff)
	p.press("n")
	p.waitText("#current-code", a.Code)
	noName(p, nameOff, "setting off, after next")
	p.press("r")
	p.waitText("#current-meta", "Đã gọi lại 1 lần")
	noName(p, nameOff, "setting off, after recall")
	p.press("d")
	p.waitText("#current-code", "Chưa gọi số nào")

	// On: the name shows while the ticket is served here, after next and
	// after recall, and nowhere else.
	setShow(true)
	b := issue(nameOn)
	plain := issue("") // a ticket without a card
	late := issue(nameLate)
	other.waitText("#waiting-list", b.Code)
	if s := other.text() + p.text(); strings.Contains(s, nameOn) {
		t.Errorf("a waiting ticket's name shows on a console:\n%s", s)
	}
	p.press("n")
	p.waitText("#current-code", b.Code)
	p.waitText("#current-citizen", nameOn)
	p.screenshot("console-citizen-name", 1366, 768)
	noName(other, nameOn, "another counter's console while q1 serves the ticket")
	// A reload forgets it (the page keeps it in memory only); recall
	// asks the server again.
	p.open("/counter")
	waitLive(p)
	p.waitText("#current-code", b.Code)
	noName(p, nameOn, "after a reload, before recall")
	p.press("r")
	p.waitText("#current-meta", "Đã gọi lại 1 lần")
	p.waitText("#current-citizen", nameOn)
	// Done: the name goes with the ticket.
	p.press("d")
	p.waitText("#current-code", "Chưa gọi số nào")
	noName(p, nameOn, "after done")
	// The next ticket has no card: no name, and not the previous one.
	p.press("n")
	p.waitText("#current-code", plain.Code)
	noName(p, nameOn, "serving a ticket without a card")
	// No-show: the name goes with it too.
	p.press("n")
	p.waitText("#current-code", late.Code)
	p.waitText("#current-citizen", nameLate)
	p.press("k")
	p.waitText("#current-code", "Chưa gọi số nào")
	noName(p, nameLate, "after a no-show")

	// Off again: a ticket issued with a name while it was on does not
	// show it.
	c := issue(nameOn)
	setShow(false)
	p.press("n")
	p.waitText("#current-code", c.Code)
	noName(p, nameOn, "setting switched off after the issue")
	p.press("r")
	p.waitText("#current-meta", "Đã gọi lại 1 lần")
	noName(p, nameOn, "setting switched off, after recall")
}
