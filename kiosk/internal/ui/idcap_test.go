package ui

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2/test"

	"github.com/civiq/civiq/server/protocol"
)

// TestScanIDCardDailyCap: on a real server whose centre allows one ticket
// per person a day, a citizen who scans their ID card gets a ticket; the
// same card scanned again and a field tapped is refused in plain words
// (id_daily_cap); without a card the kiosk still issues.
func TestScanIDCardDailyCap(t *testing.T) {
	r := newRig(t, nil, "", screenSizes["landscape"])
	putCentre(t, r.srv, func(m map[string]any) { m["id_daily_cap"], m["show_citizen_name"] = 1, true })
	if err := r.k.Step(context.Background()); err != nil { // the kiosk reads the centre's settings
		t.Fatal(err)
	}
	r.u.Keys(r.w.Canvas())
	waitScreen(t, r.u, ScreenHome)
	const card = "079090001234|023456789|Trần Thị Bình|15061990|Nữ|5 Hai Bà Trưng, Q.1, TP. Hồ Chí Minh|10052021"
	scanned := func() {
		t.Helper()
		scan(r.w, card)
		time.Sleep(3 * digitHold)
		r.u.mu.Lock()
		title := r.u.bannerLocked(false)
		r.u.mu.Unlock()
		if hello := fmt.Sprintf(bookVi.Hello, "Trần Thị Bình"); r.u.Screen() != ScreenHome || !strings.HasPrefix(title, hello) {
			t.Fatalf("after the scan: screen %s, heading %q", r.u.Screen(), title)
		}
	}
	scanned()
	test.Tap(r.tile(t, "dat-dai"))
	waitScreen(t, r.u, ScreenConfirm)
	// show_citizen_name: the clerk of counter q1 (dat-dai) sees the name
	// read from the card when calling the ticket.
	var called protocol.CalledTicket
	clerk := r.srv.Client(r.srv.ClerkToken("canbo1"))
	if _, err := clerk.Do(context.Background(), http.MethodPost, "/api/v1/counters/q1/next", nil, &called, nil); err != nil {
		t.Fatal(err)
	}
	if called.Code != r.result(t).Ticket.Code || called.CitizenName != "Trần Thị Bình" {
		t.Fatalf("the clerk's next: %s %q, want %s with the card's name", called.Code, called.CitizenName, r.result(t).Ticket.Code)
	}
	test.Tap(r.button(t, "done"))
	waitScreen(t, r.u, ScreenHome)

	scanned()
	test.Tap(r.tile(t, "xay-dung"))
	waitScreen(t, r.u, ScreenError)
	r.u.mu.Lock()
	msg := r.u.errText
	r.u.mu.Unlock()
	if msg != bookVi.ErrIDCap {
		t.Fatalf("second ticket of the card with cap 1: %q, want %q", msg, bookVi.ErrIDCap)
	}
	test.Tap(r.button(t, "back"))
	waitScreen(t, r.u, ScreenHome)
	// The card is not kept after the turn: the next citizen, without a
	// card, still gets a ticket.
	r.u.tapDone()
	test.Tap(r.tile(t, "xay-dung"))
	waitScreen(t, r.u, ScreenConfirm)
}
