package ui

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/test"

	"github.com/civiq/civiq/kiosk/internal/issuer"
	"github.com/civiq/civiq/kiosk/internal/printer/escpostest"
	"github.com/civiq/civiq/server/protocol"
)

// TestLiveRename: a field renamed over the API (as /admin does) shows on
// the home tile within 2 s, with the kiosk's own loop running and no
// screen change.
func TestLiveRename(t *testing.T) {
	r := newRig(t, nil, "", screenSizes["landscape"])
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { r.k.Run(ctx); close(done) }()
	stop := sync.OnceFunc(func() { cancel(); <-done })
	defer stop()
	admin := r.srv.Client(r.srv.AdminToken())
	svcs, err := admin.Services(ctx)
	if err != nil {
		t.Fatal(err)
	}
	s := svcs[3]
	s.Name.Vi = "Sở Xây dựng – Cấp phép xây dựng và quy hoạch"
	r.u.mu.Lock()
	gen := r.u.gen
	r.u.mu.Unlock()
	if _, err := admin.Do(ctx, http.MethodPut, "/api/v1/services/"+s.ID, s, nil, nil); err != nil {
		t.Fatal(err)
	}
	renamed := time.Now()
	for {
		r.u.mu.Lock()
		title := r.u.tiles[s.ID].title
		screen, g := r.u.screen, r.u.gen
		r.u.mu.Unlock()
		if title == s.Name.Vi {
			if screen != ScreenHome || g != gen {
				t.Fatalf("the rename changed the screen (%s, gen %d -> %d)", screen, gen, g)
			}
			t.Logf("renamed tile after %v", time.Since(renamed))
			break
		}
		if time.Since(renamed) > 2*time.Second {
			t.Fatalf("tile still %q 2 s after the rename", title)
		}
		time.Sleep(10 * time.Millisecond)
	}
	// The loop stops: the tap below runs on this goroutine.
	stop()
	test.Tap(r.tile(t, s.ID)) // the new tile works
	waitScreen(t, r.u, ScreenConfirm)
	if res := r.result(t); res.Field.Name.Vi != s.Name.Vi {
		t.Fatalf("ticket for %q", res.Field.Name.Vi)
	}
}

// TestLiveUpdateKeepsPlace: a live change (a rename, a field added, one
// regrouped) redraws the tiles in place: the citizen stays on the page or
// in the group they opened while it is still there.
func TestLiveUpdateKeepsPlace(t *testing.T) {
	r := newRig(t, nil, "", screenSizes["landscape"])
	svcs := bigServices(40, false)
	r.showFields(svcs)
	test.Tap(r.button(t, "page-3"))
	shown := func() view {
		r.u.mu.Lock()
		defer r.u.mu.Unlock()
		return r.u.home.shown()
	}
	v := shown()
	if v.mode != "pages" || v.page != 2 {
		t.Fatalf("after the tap on page 3: %+v", v)
	}
	id := v.ids[1]
	i := slices.IndexFunc(svcs, func(s protocol.Service) bool { return s.ID == id })
	svcs[i].Name.Vi = "Tên mới của lĩnh vực"
	svcs = append(svcs, protocol.Service{ID: "moi", Name: protocol.Text{Vi: "Lĩnh vực mới"}, Open: true, Enabled: true})
	r.showFields(svcs)
	if v := shown(); v.page != 2 || r.tile(t, id).title != "Tên mới của lĩnh vực" || !slices.Contains(v.ids, id) {
		t.Fatalf("after the live update: %+v", v)
	}
	checkTiles(t, r.u)

	// Grouped: inside a group, a field moved to another group leaves it;
	// the group stays open.
	g := bigServices(40, true)
	r.showFields(g)
	test.Tap(r.u.groups[groupKey(g[0])])
	v = shown()
	if v.mode != "group" {
		t.Fatalf("group not opened: %+v", v)
	}
	moved := v.ids[len(v.ids)-1]
	j := slices.IndexFunc(g, func(s protocol.Service) bool { return s.ID == moved })
	g[j].Group = &protocol.Text{Vi: "Nhóm khác"}
	r.showFields(g)
	if v2 := shown(); v2.mode != "group" || slices.Contains(v2.ids, moved) || len(v2.ids) != len(v.ids)-1 {
		t.Fatalf("after the regrouping: %+v (before %+v)", v2.ids, v.ids)
	}
	// The group dissolved: back to the first screen, not an empty page.
	key := groupKey(g[0])
	for k := range g {
		if groupKey(g[k]) == key {
			g[k].Group = nil
		}
	}
	r.showFields(g)
	if v := shown(); v.mode == "group" || len(v.ids) == 0 {
		t.Fatalf("after the group went: %+v", v)
	}
}

// TestClosedFields: a field closed for any reason is dimmed with its
// reason ("Tạm ngừng tiếp nhận" when switched off or no counter serves
// it) and cannot issue, neither by a tap nor through the kiosk.
func TestClosedFields(t *testing.T) {
	r := newRig(t, nil, "", screenSizes["landscape"])
	svcs := bigServices(9, false)
	for i, reason := range []string{protocol.ClosedNoCounter, protocol.ClosedDisabled, protocol.ClosedOutsideHours, protocol.ClosedDailyCap} {
		svcs[i].Open, svcs[i].ClosedReason = false, reason
	}
	svcs[4].Open, svcs[4].ClosedReason = false, "" // no reason given
	r.showFields(svcs)
	golden(t, r.w, "home-closed-1920x1080.png")
	if *update {
		docShot(t, r.w, "kiosk-home-closed-landscape.png")
	}
	want := []string{vi.Disabled, vi.Disabled, vi.OutsideHours, vi.DailyCap, vi.Disabled}
	for i, w := range want {
		tl := r.tile(t, svcs[i].ID)
		r.u.mu.Lock()
		sub, on, fill := tl.sub, tl.enabled, tl.bg.FillColor
		r.u.mu.Unlock()
		if sub != w || on || fill != normalPalette().closed {
			t.Errorf("%s (%s): %q enabled %v fill %v; want %q, dimmed", svcs[i].ID, svcs[i].ClosedReason, sub, on, fill, w)
		}
		test.Tap(tl)
		if s := r.u.Screen(); s != ScreenHome {
			t.Fatalf("a tap on a closed field led to %s", s)
		}
	}
	if vi.Disabled != "Tạm ngừng tiếp nhận" || en.Disabled != "Not taking tickets now" {
		t.Fatalf("wording %q / %q", vi.Disabled, en.Disabled)
	}
	checkTiles(t, r.u)
}

// TestClosedFieldNotIssued: the kiosk itself refuses a field its last
// field list shows closed (no counter serves it), online and offline, so
// no ticket is printed that nobody would call.
func TestClosedFieldNotIssued(t *testing.T) {
	r := newRig(t, nil, "", screenSizes["landscape"])
	ctx := context.Background()
	st := r.k.State()
	if len(st.Services) == 0 {
		t.Fatal("no fields")
	}
	id := st.Services[0].ID
	left := r.k.OfflineLeft(id)
	closeIt := func() {
		// What the server sends once no counter serves the field.
		st := r.k.State()
		st.Services[0].Open, st.Services[0].ClosedReason = false, protocol.ClosedNoCounter
		r.k.SetFields(st.Centre, st.Services)
	}
	closeIt()
	if _, err := r.k.Issue(ctx, id, false, "vi"); !errors.Is(err, issuer.ErrFieldClosed) {
		t.Fatalf("online issue in a closed field: %v", err)
	}
	r.srv.Stop()
	_ = r.k.Step(ctx)
	closeIt()
	if _, err := r.k.Issue(ctx, id, false, "vi"); !errors.Is(err, issuer.ErrFieldClosed) {
		t.Fatalf("offline issue in a closed field: %v", err)
	}
	if n := r.k.OfflineLeft(id); n != left || r.k.State().Pending != 0 {
		t.Fatalf("a leased number was used: %d left of %d", n, left)
	}
	r.u.mu.Lock()
	sub, on := r.u.tiles[id].sub, r.u.tiles[id].enabled
	r.u.mu.Unlock()
	if sub != vi.Disabled || on {
		t.Fatalf("tile %q enabled %v", sub, on)
	}
}

// TestBackToVietnamese: the next citizen finds the home screen in
// Vietnamese after "Xong", after the confirmation times out, and after a
// citizen left the home screen in English or on another page.
func TestBackToVietnamese(t *testing.T) {
	r := newRig(t, nil, "", screenSizes["landscape"])
	lang := func() string {
		r.u.mu.Lock()
		defer r.u.mu.Unlock()
		return r.u.lang
	}
	// "Xong" after a ticket in English.
	test.Tap(r.button(t, "lang"))
	test.Tap(r.tile(t, "dat-dai"))
	waitScreen(t, r.u, ScreenConfirm)
	if lang() != "en" || r.result(t).Ticket.Lang != "en" {
		t.Fatalf("ticket in %s", r.result(t).Ticket.Lang)
	}
	test.Tap(r.button(t, "done"))
	if r.u.Screen() != ScreenHome || lang() != "vi" || r.tile(t, "dat-dai").title != "Đất đai" {
		t.Fatalf("after Done: %s in %s", r.u.Screen(), lang())
	}

	// Idle on the home screen in English, and on the priority choice.
	r.u.mu.Lock()
	r.u.opts.Idle = 200 * time.Millisecond
	r.u.mu.Unlock()
	test.Tap(r.button(t, "lang"))
	if lang() != "en" {
		t.Fatal("no switch")
	}
	waitFor(t, func() bool { return lang() == "vi" })
	test.Tap(r.button(t, "lang"))
	test.Tap(r.u.priority)
	waitScreen(t, r.u, ScreenPriority)
	waitScreen(t, r.u, ScreenHome)
	if lang() != "vi" {
		t.Fatal("priority choice left in English")
	}

	// Idle on page 3 of a big centre.
	r.showFields(bigServices(40, false))
	test.Tap(r.button(t, "page-3"))
	r.u.mu.Lock()
	page := r.u.home.shown().page
	r.u.mu.Unlock()
	if page != 2 {
		t.Fatalf("page %d after the tap", page)
	}
	waitFor(t, func() bool {
		r.u.mu.Lock()
		defer r.u.mu.Unlock()
		return r.u.home.shown().page == 0 && r.u.nav.home()
	})
}

// TestStorageDownStatus: a server that answers but cannot store is named
// as such in the header, distinct from an unreachable one; the tiles still
// issue (from the leases).
func TestStorageDownStatus(t *testing.T) {
	r := newRig(t, nil, "", screenSizes["landscape"])
	mark := func() string {
		r.u.mu.Lock()
		defer r.u.mu.Unlock()
		for _, o := range texts(r.w.Canvas().Content()) {
			if strings.HasPrefix(o, "● ") {
				return o
			}
		}
		return ""
	}
	st := r.k.State()
	st.Online, st.StorageDown = false, true
	r.u.setState(st)
	if m := mark(); m != "● Máy chủ không lưu được dữ liệu — vẫn phát số" {
		t.Fatalf("storage down: %q", m)
	}
	if *update {
		docShot(t, r.w, "kiosk-storage-down-landscape.png")
	}
	st.StorageDown = false
	r.u.setState(st)
	if m := mark(); m != "● Không kết nối được máy chủ — vẫn phát số" {
		t.Fatalf("unreachable: %q", m)
	}
	r.u.mu.Lock()
	on := r.u.tiles["dat-dai"].enabled
	r.u.mu.Unlock()
	if !on {
		t.Fatal("offline tile disabled with leases left")
	}
}

// texts collects the canvas texts under o.
func texts(o fyne.CanvasObject) []string {
	var out []string
	switch x := o.(type) {
	case *canvas.Text:
		out = append(out, x.Text)
	case *fyne.Container:
		for _, c := range x.Objects {
			out = append(out, texts(c)...)
		}
	case fyne.Widget:
		for _, c := range test.WidgetRenderer(x).Objects() {
			out = append(out, texts(c)...)
		}
	}
	return out
}

// TestWaitLineKeepsTogether: however the confirmation breaks the expected
// wait into lines, "khoảng 4 phút" stays on one.
func TestWaitLineKeepsTogether(t *testing.T) {
	a := test.NewTempApp(t)
	th, err := newTheme(normalPalette())
	if err != nil {
		t.Fatal(err)
	}
	a.Settings().SetTheme(th)
	for _, lang := range []string{"vi", "en"} {
		w := wordsFor(lang)
		for _, tk := range []protocol.Ticket{{Ahead: 2, ETASeconds: 240}, {Ahead: 9, ETASeconds: 1500, ETALowSeconds: 600, ETAHighSeconds: 2400}} {
			line := etaLine(w, tk)
			for _, max := range []int{10, 20, 25, 30, 40} {
				for _, l := range strings.Split(balance(line, max), "\n") {
					l = strings.TrimSpace(l)
					if strings.HasSuffix(l, "khoảng") || strings.HasSuffix(l, "about") || strings.HasPrefix(l, "phút") || strings.HasPrefix(l, "min") {
						t.Errorf("%q broken as %q", line, balance(line, max))
					}
				}
				// And in a tile's wrapping at any width.
				for _, width := range []float32{200, 300, 400, 600} {
					lines, _ := wrap(line, sizeSubhead, fyne.TextStyle{}, width, false)
					for _, l := range lines {
						if strings.HasSuffix(l, "khoảng") || strings.HasSuffix(l, "about") || strings.HasPrefix(l, "phút") || strings.HasPrefix(l, "min") {
							t.Errorf("%q wrapped as %q", line, lines)
						}
					}
				}
			}
		}
	}
}

// TestConfirmSmallScreen: on a 1366×768 screen without scaling the whole
// confirmation shows, with and without the printer-fault panel (goldens).
func TestConfirmSmallScreen(t *testing.T) {
	r := newRig(t, nil, "", screenSizes["small"])
	test.Tap(r.tile(t, "lao-dong-tbxh"))
	waitScreen(t, r.u, ScreenConfirm)
	golden(t, r.w, "confirm-1366x768.png")
	test.Tap(r.button(t, "done"))
	r.fp.SetCondition(escpostest.PaperOut)
	test.Tap(r.tile(t, "lao-dong-tbxh"))
	waitScreen(t, r.u, ScreenConfirm)
	golden(t, r.w, "fault-1366x768.png")
}
