package webtest

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/chromedp"

	"github.com/civiq/civiq/server/protocol"
)

// scan types a code the way a USB barcode scanner does: every key of the
// code and Enter in one burst (far faster than a person), with no field
// focused. (Dispatched in one task: real key events through the DevTools
// protocol may arrive tens of milliseconds apart on a busy machine.)
func scan(p *tab, code string) {
	p.t.Helper()
	eval[bool](p, `(() => { for (const k of [...`+jsString(code)+`, 'Enter']) document.activeElement.dispatchEvent(new KeyboardEvent('keydown', {key: k, bubbles: true, cancelable: true})); return true; })()`)
}

func chips(p *tab) []string {
	return eval[[]string](p, `[...document.querySelectorAll('#dossier-chips .chip')].map(c => c.dataset.code)`)
}

// TestConsoleVisitRecord: the clerk ends a visit with an outcome key
// (1–6), after scanning dossier codes (a burst + Enter) or typing them in
// the code field; "Next" alone still completes a visit without a record;
// the console lists the visits just served; a clerk reports and ends a
// disruption at their counter.
func TestConsoleVisitRecord(t *testing.T) {
	srv := startServer(t)
	ctx := context.Background()
	events := subscribe(t, srv)
	var tk []protocol.Ticket
	for range 4 {
		tk = append(tk, srv.Issue("dat-dai", false))
	}
	p := newTab(t, srv)
	openConsole(p, "canbo1")
	if !eval[bool](p, `document.querySelector('#visit').hidden`) {
		t.Fatal("the visit record shows with no ticket served")
	}
	p.press("n")
	p.waitText("#current-code", tk[0].Code)
	p.wait(`!document.querySelector('#visit').hidden`, "the visit record")
	labels := eval[[]string](p, `[...document.querySelectorAll('#outcomes .outcome')].map(b => b.innerText.replace(/\s+/g, ' ').trim())`)
	want := []string{"1 Tiếp nhận hồ sơ", "2 Trả kết quả", "3 Hướng dẫn", "4 Yêu cầu bổ sung", "5 Từ chối", "6 Khác"}
	if !slices.Equal(labels, want) {
		t.Errorf("outcome buttons %q, want %q", labels, want)
	}

	// Two scans and a repeated one: two chips, and no shortcut fired.
	scan(p, "000.00.12.H29-261207-0001")
	scan(p, "000.00.12.H29-261207-0002")
	scan(p, "000.00.12.H29-261207-0001")
	p.wait(`document.querySelectorAll('#dossier-chips .chip').length === 2`, "two dossier chips")
	if got := currentCode(t, srv, "q1"); got != tk[0].Code {
		t.Fatalf("a scanned code acted as shortcuts: q1 serves %q", got)
	}
	p.do(chromedp.MouseEvent(input.DispatchMouseEventTypeMouseMoved, 1, 1)) // no hover in the picture
	p.screenshot("console-outcomes", 1366, 768)

	// One key finishes the visit with the outcome and the codes.
	p.press("1")
	done := ticketOf(t, waitEvent(t, events, protocol.EventTicketDone, nil))
	if done.ID != tk[0].ID || done.Outcome != protocol.OutcomeReceived || !slices.Equal(done.DossierCodes, []string{"000.00.12.H29-261207-0001", "000.00.12.H29-261207-0002"}) {
		t.Fatalf("ticket.done %+v", done)
	}
	p.waitText("#msg", "Tiếp nhận hồ sơ")
	p.waitText("#history", tk[0].Code)
	p.waitText("#history", "2 mã hồ sơ")
	p.wait(`document.querySelector('#visit').hidden`, "the record to go with the ticket")

	// M focuses the code field; typed codes end with Enter; a note; 4.
	p.press("n")
	p.waitText("#current-code", tk[1].Code)
	if n := len(chips(p)); n != 0 {
		t.Fatalf("the next ticket starts with %d chips", n)
	}
	p.press("m")
	p.wait(`document.activeElement === document.querySelector('#dossier-input')`, "the focused code field")
	p.do(chromedp.SendKeys(chromedp.CSS("#dossier-input"), "HS-2026/771\r"))
	p.wait(`document.querySelectorAll('#dossier-chips .chip').length === 1`, "the typed code's chip")
	p.typeInto("#visit-note", "Hẹn bổ sung thứ Sáu\r")
	p.wait(`document.activeElement !== document.querySelector('#visit-note')`, "the note to hand the keys back")
	p.press("4")
	done = ticketOf(t, waitEvent(t, events, protocol.EventTicketDone, nil))
	if done.ID != tk[1].ID || done.Outcome != protocol.OutcomeSupplement || !slices.Equal(done.DossierCodes, []string{"HS-2026/771"}) || done.Note != "Hẹn bổ sung thứ Sáu" {
		t.Fatalf("ticket.done %+v", done)
	}
	p.waitText("#history", "Yêu cầu bổ sung")

	// "Next" alone all day: the visit ends with no record.
	p.press("n")
	p.waitText("#current-code", tk[2].Code)
	p.press("n")
	p.waitText("#current-code", tk[3].Code)
	done = ticketOf(t, waitEvent(t, events, protocol.EventTicketDone, nil))
	if done.ID != tk[2].ID || done.Outcome != "" || done.DossierCodes != nil {
		t.Fatalf("next completed %+v", done)
	}
	p.waitText("#history", "không ghi kết quả")
	// A code scanned, then Next: the codes are kept (done without outcome).
	scan(p, "QR-88")
	p.wait(`document.querySelectorAll('#dossier-chips .chip').length === 1`, "the chip")
	p.press("n")
	done = ticketOf(t, waitEvent(t, events, protocol.EventTicketDone, nil))
	if done.ID != tk[3].ID || done.Outcome != "" || !slices.Equal(done.DossierCodes, []string{"QR-88"}) {
		t.Fatalf("next with a scanned code completed %+v", done)
	}
	p.waitText("#msg", "Không có ai đang chờ")
	// The ticket's record is stored: the citizen's phone shows the outcome.
	var view protocol.TicketView
	if _, err := srv.Client("").Do(ctx, "GET", "/api/v1/tickets/"+tk[1].Token+"/view", nil, &view, nil); err != nil || view.Ticket.Outcome != protocol.OutcomeSupplement || view.Ticket.Note != "" {
		t.Fatalf("phone view %+v %v", view.Ticket, err)
	}

	// A reload keeps the visits just served (from the server).
	p.open("/counter#q1")
	waitLive(p)
	p.waitText("#history", tk[3].Code)
	p.waitText("#history", "Yêu cầu bổ sung")
	p.waitText("#history", "Tiếp nhận hồ sơ")

	// A disruption at q1: cause picked with key 1, then ended.
	p.click("#btn-disrupt")
	p.wait(`document.querySelector('#disrupt-dialog').open`, "the disruption dialog")
	p.key("1")
	ev := waitEvent(t, events, protocol.EventDisruptionStarted, nil)
	var d protocol.Disruption
	if err := json.Unmarshal(ev.Data, &d); err != nil || d.Cause != protocol.CauseOneStopSoftware || !slices.Equal(d.CounterIDs, []string{"q1"}) {
		t.Fatalf("disruption.started %s", ev.Data)
	}
	p.waitText("#disruption-banner", "Đang gián đoạn: Phần mềm một cửa")
	p.screenshot("console-disruption", 1366, 768)
	p.click("#disruption-banner [data-end]")
	waitEvent(t, events, protocol.EventDisruptionEnded, nil)
	p.wait(`document.querySelector('#disruption-banner').hidden`, "the banner gone")
	list, err := srv.Client(srv.AdminToken()).Disruptions(ctx, time.Now().Add(-time.Hour), time.Now().Add(time.Hour))
	if err != nil || len(list) != 1 || list[0].EndedAt == nil {
		t.Fatalf("disruptions %+v %v", list, err)
	}
	// A centre-wide one shows, and a clerk cannot end it.
	whole, err := srv.Client(srv.AdminToken()).StartDisruption(ctx, protocol.DisruptionRequest{Cause: protocol.CausePower})
	if err != nil {
		t.Fatal(err)
	}
	p.waitText("#disruption-banner", "Toàn trung tâm đang gián đoạn: Điện")
	if eval[bool](p, `!!document.querySelector('#disruption-banner [data-end]')`) {
		t.Error("a clerk is offered to end a centre-wide disruption")
	}
	if _, err := srv.Client(srv.AdminToken()).EndDisruption(ctx, whole.ID); err != nil {
		t.Fatal(err)
	}
	p.wait(`document.querySelector('#disruption-banner').hidden`, "the banner gone")
	if strings.Contains(p.text(), "undefined") {
		t.Error("the page shows \"undefined\"")
	}
}
