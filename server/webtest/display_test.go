package webtest

import (
	"context"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/civiq/civiq/assets"
	"github.com/civiq/civiq/server/protocol"
	"github.com/civiq/civiq/server/servertest"
)

// openDisplay opens the web hall display paired with a new display token
// and waits for its live board.
func openDisplay(p *tab) string {
	p.t.Helper()
	token := p.srv.DeviceToken(protocol.RoleDisplay, "web display "+p.t.Name())
	p.open("/display?token=" + token)
	waitDisplayLive(p)
	return token
}

func waitDisplayLive(p *tab) {
	p.t.Helper()
	p.wait(`!!(window.civiqDisplay && civiqDisplay.online && civiqDisplay.board && document.getElementById('offline').hidden)`, "the live display")
}

// waitHero waits at most d for the newest call on the page to be code at
// counter n, and returns how long it took.
func waitHero(p *tab, code string, n int, d time.Duration) time.Duration {
	p.t.Helper()
	start := time.Now()
	p.waitFor(fmt.Sprintf(`document.getElementById('hero-code').textContent === %q && document.getElementById('hero-counter').textContent.endsWith(' %d')`, code, n),
		"call "+code+" on the display", d)
	return time.Since(start)
}

// TestDisplayShowsCallsAndRecovers: a call made through the API shows on the
// web display within 1 s and is announced once; after the server restarts
// the page reconnects by itself, shows the next call and announces only it;
// a reload announces nothing old.
func TestDisplayShowsCallsAndRecovers(t *testing.T) {
	srv := startServer(t)
	ctx := context.Background()
	clerk := srv.Client(srv.ClerkToken("canbo1"))
	p := newTab(t, srv)
	openDisplay(p)

	// The token left the address bar and stays in the browser.
	if s := eval[string](p, `location.search`); strings.Contains(s, "token") {
		t.Errorf("the token is still in the address: %q", s)
	}
	if eval[string](p, `localStorage.getItem('civiq.display.token') || ''`) == "" {
		t.Error("the token was not kept")
	}
	// Sound: locked until a tap, with the prompt; one tap unlocks it.
	if eval[bool](p, `civiqDisplay.player.unlocked`) {
		t.Log("this browser allows autoplay: no prompt needed")
	} else {
		t.Log("sound locked at load: checking the prompt")
		p.wait(`!document.getElementById('sound-prompt').hidden`, "the tap-to-enable-sound prompt")
		if txt := p.textOf("#sound-prompt"); !strings.Contains(txt, "Chạm để bật âm thanh") || !strings.Contains(txt, "Tap to enable sound") {
			t.Errorf("sound prompt says %q", txt)
		}
		// (p.click wants an offsetParent, which a fixed element lacks.)
		p.do(chromedp.Click(chromedp.CSS("#sound-prompt")))
		p.wait(`civiqDisplay.player.unlocked && document.getElementById('sound-prompt').hidden`, "sound unlocked by a tap")
	}

	// The page reports in: the admin's devices page sees it.
	var devs []protocol.Device
	if _, err := srv.Client(srv.AdminToken()).Do(ctx, "GET", "/api/v1/devices", nil, &devs, nil); err != nil {
		t.Fatal(err)
	}
	heard := false
	for _, d := range devs {
		if d.Kind == protocol.RoleDisplay && d.LastSeen != nil && d.Status != nil && d.Status.Version == "web" {
			heard = true
		}
	}
	if !heard {
		t.Errorf("no heartbeat from the web display: %+v", devs)
	}

	srv.Issue("dat-dai", false)
	tk, err := clerk.Next(ctx, "q1")
	if err != nil {
		t.Fatal(err)
	}
	took := waitHero(p, tk.Code, 1, time.Second)
	t.Logf("call %s shown after %v", tk.Code, took.Round(time.Millisecond))
	p.wait(`civiqDisplay.announced.length === 1`, "one call-out")
	if got := eval[[]string](p, `civiqDisplay.announced[0].clips`); len(got) < 5 || got[0] != "chime" || got[1] != "vi/moi_cong_dan_co_so" || got[2] != "vi/letter_a" {
		t.Errorf("call-out script %v", got)
	}

	srv.Restart()
	// The page finds out and recovers by itself.
	waitDisplayLive(p)
	srv.Issue("dat-dai", false)
	tk2, err := clerk.Next(ctx, "q1")
	if err != nil {
		t.Fatal(err)
	}
	took = waitHero(p, tk2.Code, 1, 15*time.Second)
	t.Logf("after the restart, call %s shown after %v", tk2.Code, took.Round(time.Millisecond))
	if _, err := clerk.Recall(ctx, "q1"); err != nil {
		t.Fatal(err)
	}
	p.wait(`civiqDisplay.announced.length === 3`, "the second call and the recall announced")
	time.Sleep(300 * time.Millisecond)
	got := eval[[]string](p, `civiqDisplay.announced.map(a => a.code + (a.recall ? ' recall' : ''))`)
	if want := []string{tk.Code, tk2.Code, tk2.Code + " recall"}; fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("announced %v, want %v", got, want)
	}

	// A reload (a TV switched off and on) shows the board and says nothing.
	p.open("/display")
	waitDisplayLive(p)
	waitHero(p, tk2.Code, 1, time.Second)
	time.Sleep(300 * time.Millisecond)
	if n := eval[int](p, `civiqDisplay.announced.length`); n != 0 {
		t.Errorf("a reload announced %d old calls", n)
	}
}

// TestDisplayOfflineMark: a stopped server shows the offline mark over the
// last board, which stays.
func TestDisplayOfflineMark(t *testing.T) {
	srv := startServer(t)
	srv.Issue("dat-dai", false)
	tk, err := srv.Client(srv.ClerkToken("canbo1")).Next(context.Background(), "q1")
	if err != nil {
		t.Fatal(err)
	}
	p := newTab(t, srv)
	openDisplay(p)
	waitHero(p, tk.Code, 1, time.Second)
	srv.Stop()
	p.wait(`!document.getElementById('offline').hidden`, "the offline mark")
	if txt := p.textOf("#offline"); !strings.Contains(txt, "MẤT KẾT NỐI") {
		t.Errorf("offline mark says %q", txt)
	}
	waitHero(p, tk.Code, 1, time.Second)
	p.takeNotes() // failed fetches while the server is down are expected
}

// TestDisplayPairing: without a token the page explains pairing; a revoked
// token is forgotten and the page asks again.
func TestDisplayPairing(t *testing.T) {
	srv := startServer(t)
	p := newTab(t, srv)
	p.open("/display")
	p.wait(`!document.getElementById('pair').hidden && document.getElementById('board').hidden`, "the pairing page")
	p.screenshot("web-display-pairing", 1280, 720)
	p.open("/display?token=not-a-real-token")
	p.wait(`!document.getElementById('pair').hidden && !localStorage.getItem('civiq.display.token')`, "the pairing page after a bad token")
	if txt := p.textOf("#pair-reason"); !strings.Contains(txt, "thu hồi") {
		t.Errorf("pairing reason %q", txt)
	}
	// Pasting a good token pairs the display.
	token := srv.DeviceToken(protocol.RoleDisplay, "pasted")
	p.setValue("#pair-token", token)
	eval[bool](p, `(document.getElementById('pair-form').requestSubmit(), true)`)
	waitDisplayLive(p)
	p.takeNotes()
}

// TestDisplayScriptMatchesGo: the JavaScript call-out script builder says
// what display/announce says, for every case of its golden file.
func TestDisplayScriptMatchesGo(t *testing.T) {
	golden, err := os.ReadFile("../../display/announce/testdata/scripts.json")
	if err != nil {
		t.Fatal(err)
	}
	var g struct {
		Numbers []json.RawMessage `json:"numbers"`
		Scripts []json.RawMessage `json:"scripts"`
	}
	if err := json.Unmarshal(golden, &g); err != nil {
		t.Fatal(err)
	}
	if len(g.Numbers) < 20 || len(g.Scripts) < 50 {
		t.Fatalf("golden file has %d numbers and %d scripts", len(g.Numbers), len(g.Scripts))
	}
	srv := startServer(t)
	p := newTab(t, srv)
	p.open("/display")
	bad := eval[[]string](p, `(async () => {
		const m = await import('/static/display/script.js');
		const d = `+string(golden)+`;
		const bad = [];
		for (const n of d.numbers) {
			const got = [m.words(n.n), m.englishWords(n.n), m.numberClips(n.n, 'vi').join(' '), m.numberClips(n.n, 'en').join(' ')];
			const want = [n.vi, n.en, n.vi_clips.join(' '), n.en_clips.join(' ')];
			if (JSON.stringify(got) !== JSON.stringify(want)) bad.push('number ' + n.n + ': ' + JSON.stringify(got));
		}
		for (const s of d.scripts) {
			const c = { ticket: { code: s.code, lang: s.lang }, counter: { number: s.counter }, recall: !!s.recall };
			const got = m.script(c, { readNumbers: s.read_numbers, english: s.english, short: s.short }).join(' ');
			if (got !== s.clips.join(' ')) bad.push('script ' + JSON.stringify(s) + ': ' + got);
			if (m.readCode(s.code, s.read_numbers) !== s.text) bad.push('text ' + s.code + ': ' + m.readCode(s.code, s.read_numbers));
		}
		return bad;
	})()`)
	for _, b := range bad {
		t.Error(b)
	}
}

// centreWithCounters is the demo centre with n counters, all fields served.
func centreWithCounters(t *testing.T, n int) string {
	t.Helper()
	raw, err := fs.ReadFile(assets.FS, "demo/centre.json")
	if err != nil {
		t.Fatal(err)
	}
	var c map[string]any
	if err := json.Unmarshal(raw, &c); err != nil {
		t.Fatal(err)
	}
	var svc []string
	for _, s := range c["services"].([]any) {
		svc = append(svc, s.(map[string]any)["id"].(string))
	}
	k := min(n, len(svc))
	var counters []any
	for i := 1; i <= n; i++ {
		var ids []string
		for j, s := range svc {
			if j%k == (i-1)%k {
				ids = append(ids, s)
			}
		}
		counters = append(counters, map[string]any{"id": fmt.Sprintf("q%d", i), "number": i,
			"name": map[string]string{"vi": fmt.Sprintf("Quầy %d", i), "en": fmt.Sprintf("Counter %d", i)}, "service_ids": ids})
	}
	c["counters"] = counters
	c["users"] = []any{}
	out, err := json.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	return servertest.WriteCentre(t, t.TempDir(), string(out))
}

// TestDisplayScreenshots: the board with 4 and with 30 counters at
// 1920×1080 and 1280×720 (saved with -screenshots DIR as
// web-display-N-WxH.png); every tile and code fits its box.
func TestDisplayScreenshots(t *testing.T) {
	for _, n := range []int{4, 30} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			srv := servertest.Start(t, servertest.Options{NoRateLimits: true, CentreFile: centreWithCounters(t, n)})
			ctx := context.Background()
			admin := srv.Client(srv.AdminToken())
			svcs, err := admin.Services(ctx)
			if err != nil {
				t.Fatal(err)
			}
			for _, s := range svcs {
				for range 6 {
					srv.Issue(s.ID, false)
				}
			}
			for i := 1; i <= n; i++ {
				if _, err := admin.Next(ctx, fmt.Sprintf("q%d", i)); err != nil {
					t.Fatal(err)
				}
			}
			for i := 1; i <= 3; i++ {
				if _, err := admin.Next(ctx, fmt.Sprintf("q%d", i)); err != nil {
					t.Fatal(err)
				}
			}
			p := newTab(t, srv)
			openDisplay(p)
			p.wait(fmt.Sprintf(`document.querySelectorAll('#tiles .tile').length === %d`, n), "every counter")
			// Sound on, so the one-time prompt is not in the pictures.
			if !eval[bool](p, `civiqDisplay.player.unlocked`) {
				p.wait(`!document.getElementById('sound-prompt').hidden`, "the sound prompt")
				p.do(chromedp.Click(chromedp.CSS("#sound-prompt")))
				p.wait(`document.getElementById('sound-prompt').hidden`, "sound on")
			}
			for _, size := range [][2]int64{{1920, 1080}, {1280, 720}} {
				p.do(chromedp.EmulateViewport(size[0], size[1]))
				p.wait(`new Promise(r => setTimeout(() => r(true), 300))`, "layout")
				// Nothing is cut: each code fits its tile, the page does not scroll.
				cut := eval[[]string](p, `Array.from(document.querySelectorAll('#tiles .code, #tiles .label, #hero-code, #hero-counter, #recent .l, #waiting .n'))
					.filter(e => e.scrollWidth > e.clientWidth + 1 || e.getBoundingClientRect().bottom > innerHeight || e.getBoundingClientRect().right > innerWidth)
					.map(e => (e.id || e.textContent) + " " + JSON.stringify([e.scrollWidth, e.clientWidth, e.getBoundingClientRect().bottom, innerHeight, document.getElementById("waiting").clientHeight, getComputedStyle(document.getElementById("waiting")).getPropertyValue("--wait-font")]))`)
				if len(cut) > 0 {
					t.Errorf("%d counters at %dx%d: cut off: %v", n, size[0], size[1], cut)
				}
				small := eval[float64](p, `Math.min(...Array.from(document.querySelectorAll('#tiles .code')).map(e => parseFloat(getComputedStyle(e).fontSize)))`)
				if min := float64(size[1]) / 40; small < min {
					t.Errorf("%d counters at %dx%d: codes %.0f px high, want at least %.0f", n, size[0], size[1], small, min)
				}
				p.screenshot(fmt.Sprintf("web-display-%d", n), size[0], size[1])
			}
		})
	}
}

// TestDisplayAnnouncerRules: the web display's queue follows the Go
// Announcer's rules: once per (epoch, seq) and per call, snapshot history
// never, recalls again, in order, one at a time, short under pile-up.
func TestDisplayAnnouncerRules(t *testing.T) {
	srv := startServer(t)
	p := newTab(t, srv)
	p.open("/display")
	got := eval[[]string](p, `(async () => {
		const { Announcer } = await import('/static/display/announcer.js');
		const log = [];
		let playing = 0, overlap = false, release = [];
		const player = { play(clips) {
			if (playing++) overlap = true;
			log.push(clips.join(' '));
			return new Promise(r => release.push(() => { playing--; r(); }));
		} };
		const a = new Announcer(player, { readNumbers: 'number' });
		const call = (seq, code, counter, opts = {}) => ({ seq, epoch: opts.epoch || 'e1',
			type: opts.recall ? 'ticket.recalled' : 'ticket.called',
			data: { ticket: { id: 'id-' + code, code, recalls: opts.recall ? 1 : 0 }, counter: { id: 'q' + counter, number: counter },
				at: '2026-11-29T02:00:0' + (seq % 10) + 'Z', recall: !!opts.recall } });
		const old = call(3, 'A003', 1);
		const out = [];
		out.push('snapshot ' + a.handle({ type: 'snapshot', seq: 5, epoch: 'e1', data: { seq: 5, epoch: 'e1', recent: [old.data] } }));
		out.push('old ' + a.handle(old));
		out.push('old under a new epoch ' + a.handle(Object.assign({}, old, { epoch: 'e2', seq: 1 })));
		out.push('new ' + a.handle(call(6, 'A006', 2)));
		out.push('again ' + a.handle(call(6, 'A006', 2)));
		out.push('recall ' + a.handle(call(7, 'A006', 2, { recall: true })));
		out.push('third ' + a.handle(call(8, 'B008', 3)));
		out.push('fourth ' + a.handle(call(9, 'C009', 4)));
		out.push('other event ' + a.handle({ type: 'ticket.issued', seq: 10, epoch: 'e1', data: {} }));
		// Play them one by one.
		for (let i = 0; i < 4; i++) {
			await new Promise(r => setTimeout(r, 20));
			const f = release.shift();
			if (f) f();
		}
		await new Promise(r => setTimeout(r, 20));
		return out.concat(log, ['overlap ' + overlap]);
	})()`)
	want := []string{
		"snapshot false", "old false", "old under a new epoch false", "new true", "again false", "recall true",
		"third true", "fourth true", "other event false",
		"chime vi/moi_cong_dan_co_so vi/letter_a pause vi/sau pause vi/den_quay_so vi/hai",
		"chime vi/xin_nhac_lai pause vi/moi_cong_dan_co_so vi/letter_a pause vi/sau pause vi/den_quay_so vi/hai",
		"chime vi/moi_cong_dan_co_so vi/letter_b pause vi/tam pause vi/den_quay_so vi/ba",
		// Arrived while two waited: short, no chime.
		"vi/moi_cong_dan_co_so vi/letter_c pause vi/chin pause vi/den_quay_so vi/bon",
		"overlap false",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// TestDisplayNoticeScrolls: the notice moves.
func TestDisplayNoticeScrolls(t *testing.T) {
	srv := startServer(t)
	p := newTab(t, srv)
	openDisplay(p)
	p.wait(`document.getElementById('notice').textContent.length > 10`, "the notice")
	x0 := eval[float64](p, `document.getElementById('notice').getBoundingClientRect().left`)
	p.wait(fmt.Sprintf(`document.getElementById('notice').getBoundingClientRect().left < %f - 20`, x0), "the notice to move left")
}
