package webtest

import (
	"context"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/civiq/civiq/server/protocol"
	"github.com/civiq/civiq/server/servertest"
)

// TestDisruptionNotice: while a disruption is open, the web hall display
// and the phone page of a waiting ticket show the calm notice in Vietnamese
// and English, live, and drop it when the disruption ends.
func TestDisruptionNotice(t *testing.T) {
	srv := startServer(t)
	ctx := context.Background()
	admin := srv.Client(srv.AdminToken())
	clerk := srv.Client(srv.ClerkToken("canbo1")) // q1
	for range 4 {
		srv.Issue("dat-dai", false)
	}
	if _, err := admin.Next(ctx, "q1"); err != nil {
		t.Fatal(err)
	}
	mine := srv.Issue("dat-dai", false)

	d := newTab(t, srv)
	openDisplay(d)
	ph := d.sibling()
	ph.open("/t/" + mine.Token)
	ph.waitText("#code", mine.Code)
	if !eval[bool](d, `document.getElementById('disruption').hidden`) || eval[bool](ph, `!!document.getElementById('disruption')`) {
		t.Fatal("a notice before any disruption")
	}
	before := etaMinutes(t, ph.textOf("#eta"))

	// A clerk reports their printer: the display names the counter.
	atQ1, err := clerk.StartDisruption(ctx, protocol.DisruptionRequest{Cause: protocol.CausePrinter, CounterIDs: []string{"q1"}})
	if err != nil {
		t.Fatal(err)
	}
	d.wait(`!document.getElementById('disruption').hidden`, "the display's notice")
	if vi, en := d.textOf("#disruption-vi"), d.textOf("#disruption-en"); !strings.Contains(vi, "Máy in đang gặp sự cố tại quầy 1") || !strings.Contains(vi, "Xin cảm ơn quý vị đã kiên nhẫn") ||
		!strings.Contains(en, "A printer is out of order at counter 1") || !strings.Contains(en, "Thank you for your patience") {
		t.Fatalf("display notice %q / %q", vi, en)
	}
	// The admin reports the one-stop software down for the whole centre.
	whole, err := admin.StartDisruption(ctx, protocol.DisruptionRequest{Cause: protocol.CauseOneStopSoftware, Note: "VNPT báo lỗi"})
	if err != nil {
		t.Fatal(err)
	}
	want := "Phần mềm một cửa đang gián đoạn, thời gian chờ có thể lâu hơn. Xin cảm ơn quý vị đã kiên nhẫn."
	d.waitText("#disruption-vi", want)
	if en := d.textOf("#disruption-en"); en != "The one-stop software is temporarily down; waits may be longer. Thank you for your patience." {
		t.Errorf("display English notice %q", en)
	}
	if strings.Contains(d.text(), "VNPT") {
		t.Error("the display shows the staff's note")
	}
	ph.waitText("#disruption", want)
	// The expected wait on the phone stretched with it.
	ph.wait(`!!document.getElementById('eta')`, "the expected wait")
	if after := etaMinutes(t, ph.textOf("#eta")); after < before*3/2 {
		t.Errorf("expected wait %d min during the disruption, %d min before: it should stretch", after, before)
	}
	if !eval[bool](d, `document.getElementById('sound-prompt').hidden`) {
		d.do(chromedp.Click(chromedp.CSS("#sound-prompt"))) // the TV's one tap, for a clean picture
		d.wait(`document.getElementById('sound-prompt').hidden`, "the sound prompt gone")
	}
	d.screenshot("display-disruption", 1920, 1080)
	ph.screenshot("phone-disruption", phoneW, phoneH)
	ph.click("#lang-switch")
	ph.waitText("#disruption", "The one-stop software is temporarily down; waits may be longer. Thank you for your patience.")
	ph.click("#lang-switch")

	for _, id := range []string{atQ1.ID, whole.ID} {
		if _, err := admin.EndDisruption(ctx, id); err != nil {
			t.Fatal(err)
		}
	}
	d.wait(`document.getElementById('disruption').hidden`, "the display's notice gone")
	ph.wait(`!document.getElementById('disruption')`, "the phone's notice gone")
}

// etaMinutes reads the phone's expected wait ("khoảng 25 phút", "1 giờ 5 phút").
func etaMinutes(t *testing.T, s string) int {
	t.Helper()
	n := 0
	if m := regexp.MustCompile(`(\d+) giờ`).FindStringSubmatch(s); m != nil {
		h, _ := strconv.Atoi(m[1])
		n += 60 * h
	}
	if m := regexp.MustCompile(`(\d+) phút`).FindStringSubmatch(s); m != nil {
		k, _ := strconv.Atoi(m[1])
		n += k
	}
	if n == 0 {
		t.Fatalf("no wait in %q", s)
	}
	return n
}

// TestDisruptionNoticeAtCentreSize: with 36 counters and disruptions at
// several of them, the display's notice names the counters, and neither the
// notice nor the tiles below it are cut at 1920×1080 or 1280×720.
func TestDisruptionNoticeAtCentreSize(t *testing.T) {
	const n = 36
	srv := servertest.Start(t, servertest.Options{NoRateLimits: true, CentreFile: centreWithCounters(t, n)})
	ctx := context.Background()
	admin := srv.Client(srv.AdminToken())
	svcs, err := admin.Services(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range svcs {
		for range 5 {
			srv.Issue(s.ID, false)
		}
	}
	for i := 1; i <= n; i++ {
		if _, err := admin.Next(ctx, fmt.Sprintf("q%d", i)); err != nil {
			t.Fatal(err)
		}
	}
	for _, req := range []protocol.DisruptionRequest{
		{Cause: protocol.CausePrinter, CounterIDs: []string{"q3", "q12", "q27"}},
		{Cause: protocol.CausePrinter, CounterIDs: []string{"q31"}},
		{Cause: protocol.CauseNetwork, CounterIDs: []string{"q5", "q6", "q7", "q8", "q9", "q10", "q11"}},
	} {
		if _, err := admin.StartDisruption(ctx, req); err != nil {
			t.Fatal(err)
		}
	}
	p := newTab(t, srv)
	openDisplay(p)
	p.wait(fmt.Sprintf(`document.querySelectorAll('#tiles .tile').length === %d`, n), "every counter")
	p.waitText("#disruption-vi", "Máy in đang gặp sự cố tại quầy 3, 12, 27, 31; Mạng đang gián đoạn tại quầy 5, 6, 7, 8, 9, 10, 11")
	p.waitText("#disruption-en", "A printer is out of order at counters 3, 12, 27, 31; the network is temporarily down at counters 5, 6, 7, 8, 9, 10, 11")
	if !eval[bool](p, `civiqDisplay.player.unlocked`) {
		p.wait(`!document.getElementById('sound-prompt').hidden`, "the sound prompt")
		p.do(chromedp.Click(chromedp.CSS("#sound-prompt")))
		p.wait(`document.getElementById('sound-prompt').hidden`, "sound on")
	}
	for _, size := range [][2]int64{{1920, 1080}, {1280, 720}} {
		p.do(chromedp.EmulateViewport(size[0], size[1]))
		p.wait(`new Promise(r => setTimeout(() => r(true), 300))`, "layout")
		cut := eval[[]string](p, `Array.from(document.querySelectorAll('#tiles .code, #tiles .label, #hero-code, #disruption-vi, #disruption-en'))
			.filter(e => e.scrollWidth > e.clientWidth + 1 || e.getBoundingClientRect().bottom > innerHeight || e.getBoundingClientRect().right > innerWidth)
			.map(e => e.id || e.textContent)`)
		if len(cut) > 0 {
			t.Errorf("%dx%d: cut off: %v", size[0], size[1], cut)
		}
		p.screenshot(fmt.Sprintf("display-disruption-%d", n), size[0], size[1])
	}
}
