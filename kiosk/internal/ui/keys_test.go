package ui

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"fyne.io/fyne/v2"
)

// press sends keypad keys to r's window canvas, as the GLFW driver does
// for a USB keypad: digits and Enter as key events, + − * / as runes.
// It returns once every key has acted (held keys after digitHold) and,
// when runes were sent, once the next rune can no longer continue a
// scanner burst (burstGap), so that the next press is a key of its own.
func (r *rig) press(t *testing.T, keys string) {
	t.Helper()
	acted := func() int {
		r.u.mu.Lock()
		defer r.u.mu.Unlock()
		return r.u.keysActed
	}
	want := acted()
	var lastRune time.Time
	c := r.w.Canvas()
	for _, k := range keys {
		switch {
		case k >= '0' && k <= '9':
			c.OnTypedKey()(&fyne.KeyEvent{Name: fyne.KeyName(string(k))})
			want++
		case k == '\n':
			c.OnTypedKey()(&fyne.KeyEvent{Name: fyne.KeyEnter})
			want++
		case k == 'D':
			c.OnTypedKey()(&fyne.KeyEvent{Name: fyne.KeyPageDown})
			want++
		case k == 'U':
			c.OnTypedKey()(&fyne.KeyEvent{Name: fyne.KeyPageUp})
			want++
		default:
			c.OnTypedRune()(k)
			lastRune = time.Now()
		}
	}
	waitFor(t, func() bool { return acted() >= want })
	if !lastRune.IsZero() {
		time.Sleep(time.Until(lastRune.Add(burstGap + 10*time.Millisecond)))
	}
}

// TestKeypadIssues: on a real server, the keypad alone takes a normal
// and a priority ticket: the key shown on a tile chooses it, 0 ends the
// confirmation and leaves the priority choice.
func TestKeypadIssues(t *testing.T) {
	r := newRig(t, nil, "", fyne.NewSize(1920, 1080))
	r.u.Keys(r.w.Canvas())
	waitScreen(t, r.u, ScreenHome)
	r.u.mu.Lock()
	v := r.u.home.shown()
	ids := append([]string(nil), v.ids...)
	badge := v.tiles[1].badge
	r.u.mu.Unlock()
	if len(ids) < 2 || badge != "2" {
		t.Fatalf("home: %v, second tile's key %q", ids, badge)
	}
	r.press(t, "2")
	waitScreen(t, r.u, ScreenConfirm)
	if res := r.result(t); res.Field.ID != ids[1] || res.Ticket.Priority {
		t.Fatalf("key 2 issued %s (priority %v), want %s", res.Field.ID, res.Ticket.Priority, ids[1])
	}
	r.press(t, "0")
	waitScreen(t, r.u, ScreenHome)

	r.press(t, "*")
	waitScreen(t, r.u, ScreenPriority)
	r.press(t, "0")
	waitScreen(t, r.u, ScreenHome)
	r.press(t, "*1")
	waitScreen(t, r.u, ScreenConfirm)
	if res := r.result(t); res.Field.ID != ids[0] || !res.Ticket.Priority {
		t.Fatalf("keys *1 issued %s (priority %v), want a priority %s", res.Field.ID, res.Ticket.Priority, ids[0])
	}
	r.press(t, "\n")
	waitScreen(t, r.u, ScreenHome)
}

// TestKeypadPagesAndGroups: 40 fields on a 1366×768 screen: + and −
// turn the pages, two digits choose a tile past 9, 0 goes back from a
// group; every shown tile's key is its place on the page.
func TestKeypadPagesAndGroups(t *testing.T) {
	r := layoutRig(t, screenSizes["small"])
	r.u.Keys(r.w.Canvas())
	r.showFields(bigServices(40, false))
	shown := func() view {
		r.u.mu.Lock()
		defer r.u.mu.Unlock()
		return r.u.home.shown()
	}
	v := shown()
	if v.mode != "pages" || v.pages < 2 {
		t.Fatalf("40 fields at 1366×768: %s, %d pages", v.mode, v.pages)
	}
	for i, tl := range v.tiles {
		if tl.badge != fmt.Sprint(i+1) {
			t.Errorf("tile %s shows key %q, want %d", v.ids[i], tl.badge, i+1)
		}
	}
	r.press(t, "+")
	if p := shown().page; p != 1 {
		t.Fatalf("+ shows page %d", p+1)
	}
	r.press(t, "D")
	if p := shown().page; p != 2 {
		t.Fatalf("Page Down shows page %d", p+1)
	}
	r.press(t, "-U")
	if p := shown().page; p != 0 {
		t.Fatalf("− and Page Up show page %d", p+1)
	}
	r.press(t, "+0")
	if p := shown().page; p != 0 {
		t.Fatalf("0 on page 2 shows page %d, want the first", p+1)
	}

	// Grouped: a group's key opens it, 0 closes it.
	r.showFields(bigServices(40, true))
	v = shown()
	if v.mode != "groups" {
		t.Fatalf("grouped: %s", v.mode)
	}
	gi := -1
	for i, id := range v.ids {
		if len(id) > 6 && id[:6] == "group:" {
			gi = i
			break
		}
	}
	if gi < 0 || gi > 8 {
		t.Fatalf("no group among the first 9 tiles: %v", v.ids)
	}
	want := v.ids[gi]
	r.press(t, fmt.Sprint(gi+1))
	r.u.mu.Lock()
	opened := "group:" + r.u.nav.group
	r.u.mu.Unlock()
	if v := shown(); v.mode != "group" || opened != want {
		t.Fatalf("key %d: mode %s, opened %q, want %s", gi+1, v.mode, opened, want)
	}
	r.press(t, "0")
	if v := shown(); v.mode != "groups" {
		t.Fatalf("0 in a group: mode %s", v.mode)
	}
}

// TestKeypadTwoDigits: a page of more than 9 tiles takes two digits,
// confirmed by Enter: 1 then 2 then Enter chooses the 12th tile.
func TestKeypadTwoDigits(t *testing.T) {
	r := layoutRig(t, screenSizes["landscape"])
	r.u.Keys(r.w.Canvas())
	r.showFields(bigServices(16, false))
	r.u.mu.Lock()
	v := r.u.home.shown()
	r.u.mu.Unlock()
	if len(v.tiles) < 12 {
		t.Fatalf("%d tiles shown", len(v.tiles))
	}
	// The held keys act on a timer's goroutine: got is read under a lock.
	var mu sync.Mutex
	var got string
	chosen := func() string { mu.Lock(); defer mu.Unlock(); return got }
	v.tiles[11].onTap = func() { mu.Lock(); got = v.ids[11]; mu.Unlock() }
	v.tiles[0].onTap = func() { mu.Lock(); got = v.ids[0]; mu.Unlock() }
	r.press(t, "1")
	if g := chosen(); g != "" {
		t.Fatalf("1 chose %s at once on a page of %d", g, len(v.tiles))
	}
	r.press(t, "2")
	if g := chosen(); g != v.ids[11] {
		t.Fatalf("12 chose %q, want %s", g, v.ids[11])
	}
	mu.Lock()
	got = ""
	mu.Unlock()
	r.press(t, "1\n")
	if g := chosen(); g != v.ids[0] {
		t.Fatalf("1 Enter chose %q, want %s", g, v.ids[0])
	}
}
