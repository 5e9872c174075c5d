package ui

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"

	"fyne.io/fyne/v2/test"

	"github.com/civiq/civiq/server/protocol"
	"github.com/civiq/civiq/server/servertest"
)

// TestLargeTextScreens: the large-text button on the home screen switches
// the theme for this citizen (and back after "Xong"); every screen (home,
// priority, confirm, offline, closed) in both modes, landscape and
// portrait, is golden-tested.
func TestLargeTextScreens(t *testing.T) {
	for _, o := range []string{"landscape", "portrait"} {
		for _, large := range []bool{false, true} {
			mode := "normal"
			if large {
				mode = "large"
			}
			t.Run(o+"-"+mode, func(t *testing.T) {
				sz := screenSizes[o]
				shot := func(r *rig, screen string) {
					t.Helper()
					golden(t, r.w, fmt.Sprintf("a11y-%s-%s-%dx%d.png", mode, screen, int(sz.Width), int(sz.Height)))
					if *update && large {
						docShot(t, r.w, fmt.Sprintf("kiosk-large-text-%s-%s.png", screen, o))
					}
				}
				setLarge := func(r *rig) {
					t.Helper()
					if large {
						test.Tap(r.button(t, "large"))
					}
					if r.u.LargeText() != large {
						t.Fatalf("large text %v, want %v", r.u.LargeText(), large)
					}
				}
				r := newRig(t, nil, "", sz)
				waitScreen(t, r.u, ScreenHome)
				setLarge(r)
				checkTiles(t, r.u)
				shot(r, "home")

				test.Tap(r.u.priority)
				waitScreen(t, r.u, ScreenPriority)
				shot(r, "priority")
				test.Tap(r.button(t, "back"))

				test.Tap(r.tile(t, "dat-dai"))
				waitScreen(t, r.u, ScreenConfirm)
				if r.u.LargeText() != large {
					t.Fatal("the mode changed during the citizen's turn")
				}
				shot(r, "confirm")
				test.Tap(r.button(t, "done"))
				waitScreen(t, r.u, ScreenHome)
				if r.u.LargeText() {
					t.Fatal("large text stays on for the next citizen")
				}

				setLarge(r)
				r.srv.Stop()
				if err := r.k.Step(context.Background()); err == nil {
					t.Fatal("step succeeded with the server down")
				}
				waitFor(t, func() bool {
					r.u.mu.Lock()
					defer r.u.mu.Unlock()
					return !r.u.st.Online
				})
				shot(r, "offline")

				c := newRig(t, nil, "", sz)
				setLarge(c)
				ctx := context.Background()
				admin := c.srv.Client(c.srv.AdminToken())
				centre, err := admin.Centre(ctx)
				if err != nil {
					t.Fatal(err)
				}
				centre.Hours = protocol.Hours{"mon": {}}
				if _, err := admin.Do(ctx, "PUT", "/api/v1/centre", centre, nil, nil); err != nil {
					t.Fatal(err)
				}
				if err := c.k.Step(ctx); err != nil {
					t.Fatal(err)
				}
				if !c.k.State().Closed() {
					t.Fatal("centre not closed")
				}
				shot(c, "closed")
			})
		}
	}
}

// TestLargeTextDefault: a kiosk set to large text starts in it and returns
// to it after a citizen switched it off.
func TestLargeTextDefault(t *testing.T) {
	r := layoutRig(t, screenSizes["landscape"])
	r.u.opts.LargeText = true
	r.u.tapDone()
	r.showFields(bigServices(9, false))
	if !r.u.LargeText() {
		t.Fatal("default large text not applied")
	}
	test.Tap(r.button(t, "large"))
	if r.u.LargeText() {
		t.Fatal("the button did not switch large text off")
	}
	r.u.tapDone()
	if !r.u.LargeText() {
		t.Fatal("the next citizen does not get the default large text")
	}
}

// TestLargeTextFits: the home screen's fit checks hold in large-text mode
// for 4 to 40 fields at every screen size, and every field stays
// reachable.
func TestLargeTextFits(t *testing.T) {
	for _, n := range []int{4, 9, 16, 25, 40} {
		for _, grouped := range []bool{false, true} {
			for _, o := range []string{"landscape", "portrait", "small"} {
				name := fmt.Sprintf("%d-%s", n, o)
				if grouped {
					name += "-groups"
				}
				t.Run(name, func(t *testing.T) {
					r := layoutRig(t, screenSizes[o])
					r.showFields(bigServices(n, grouped))
					test.Tap(r.button(t, "large"))
					checkTiles(t, r.u)
					r.u.mu.Lock()
					for _, tl := range r.u.home.shown().tiles {
						if tl.r.titleFit.size < 32 {
							t.Errorf("large text: a title at %v px", tl.r.titleFit.size)
						}
					}
					r.u.mu.Unlock()
					if *update && n == 40 && o != "small" {
						docShot(t, r.w, "kiosk-large-text-home-"+name+".png")
					}
					reachAllIn(t, r, n, 3)
				})
			}
		}
	}
}

// TestPriorityExplains: the priority choice says who qualifies and that
// the counter may ask for a paper, in both languages.
func TestPriorityExplains(t *testing.T) {
	r := layoutRig(t, screenSizes["portrait"])
	r.showFields(bigServices(9, false))
	test.Tap(r.u.priority)
	for _, lang := range []string{protocol.LangVI, protocol.LangEN} {
		if lang == protocol.LangEN {
			test.Tap(r.button(t, "lang"))
		}
		w := wordsFor(lang)
		got := labels(r.w.Content())
		for _, want := range []string{w.PriorityWho, w.PriorityProof} {
			if !slices.Contains(got, want) {
				t.Errorf("%s: %q not shown (labels %q)", lang, want, got)
			}
		}
	}
	for _, s := range []string{"60 tuổi", "khuyết tật", "có thai", "có công", "giấy tờ"} {
		if !slices.ContainsFunc([]string{vi.PriorityWho, vi.PriorityProof}, func(x string) bool { return strings.Contains(x, s) }) {
			t.Errorf("the explanation does not say %q", s)
		}
	}
}

// putCentre changes the centre over the API as /admin does: the body is
// the centre read back with edit applied, as raw JSON (so a field can be
// left out, as an older client would).
func putCentre(t *testing.T, srv *servertest.Server, edit func(m map[string]any)) {
	t.Helper()
	c, err := srv.Client(srv.AdminToken()).Centre(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(c)
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	edit(m)
	b, _ = json.Marshal(m)
	req, _ := http.NewRequest(http.MethodPut, srv.URL+"/api/v1/centre", bytes.NewReader(b))
	req.Header.Set("Authorization", "Bearer "+srv.AdminToken())
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("PUT /api/v1/centre: %s", resp.Status)
	}
}

// TestLargeTextFromCentre: the centre's "kiosks start in large text"
// (/admin, kiosk_large_text) reaches an idle kiosk with its next poll; a
// citizen can still switch it off for their turn, and the next one gets it
// again; a PUT without the field (an older client) keeps it; switching it
// off in /admin brings the idle kiosk back to normal text.
func TestLargeTextFromCentre(t *testing.T) {
	r := newRig(t, nil, "", screenSizes["landscape"])
	waitScreen(t, r.u, ScreenHome)
	if r.u.LargeText() {
		t.Fatal("large text before the centre asked for it")
	}
	step := func() {
		t.Helper()
		if err := r.k.Step(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	putCentre(t, r.srv, func(m map[string]any) { m["kiosk_large_text"] = true })
	step()
	if !r.u.LargeText() {
		t.Fatal("the centre's large-text default did not reach the idle kiosk")
	}
	test.Tap(r.button(t, "large"))
	if r.u.LargeText() {
		t.Fatal("the citizen could not switch large text off")
	}
	step() // a poll while a citizen uses the kiosk changes nothing
	if r.u.LargeText() {
		t.Fatal("a poll switched large text back on under the citizen")
	}
	r.u.tapDone()
	if !r.u.LargeText() {
		t.Fatal("the next citizen does not start in large text")
	}
	putCentre(t, r.srv, func(m map[string]any) {
		delete(m, "kiosk_large_text")
		m["notice"] = map[string]any{"vi": "Thông báo"}
	})
	step()
	if c, _ := r.srv.Client(r.srv.AdminToken()).Centre(context.Background()); c.KioskLargeText == nil || !*c.KioskLargeText {
		t.Errorf("a PUT without kiosk_large_text changed it: %v", c.KioskLargeText)
	}
	if !r.u.LargeText() {
		t.Fatal("large text lost after a PUT without the field")
	}
	putCentre(t, r.srv, func(m map[string]any) { m["kiosk_large_text"] = false })
	step()
	if r.u.LargeText() {
		t.Fatal("switching the centre's default off did not reach the idle kiosk")
	}
}
