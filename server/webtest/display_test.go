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

// TestDisplayOfflineMark: a stopped server shows the offline band in the
// banner strip; the last board stays beneath it.
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
	if txt := p.textOf("#offline"); !strings.Contains(txt, "Mất kết nối máy chủ") {
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
// what internal/voice/announce says, for every case of its golden file.
func TestDisplayScriptMatchesGo(t *testing.T) {
	golden, err := os.ReadFile("../../internal/voice/announce/testdata/scripts.json")
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
	return centreWithCountersFrom(t, raw, n)
}

// centreWithCountersFrom is the centre raw with n counters, all fields served.
func centreWithCountersFrom(t *testing.T, raw []byte, n int) string {
	t.Helper()
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

// bigFields are a provincial centre's fields, the longest real names.
var bigFields = []string{
	"Đất đai", "Tư pháp – Hộ tịch", "Đăng ký kinh doanh", "Xây dựng",
	"Sở Lao động – Thương binh và Xã hội", "Sở Nông nghiệp và Phát triển nông thôn",
	"Bưu điện (nhận, gửi hồ sơ qua bưu chính công ích)", "Sở Tài nguyên và Môi trường",
	"Sở Giao thông vận tải", "Sở Kế hoạch và Đầu tư", "Sở Tài chính", "Sở Công Thương",
	"Sở Y tế", "Sở Giáo dục và Đào tạo", "Sở Văn hoá, Thể thao và Du lịch",
	"Sở Khoa học và Công nghệ", "Sở Thông tin và Truyền thông", "Sở Nội vụ",
	"Ban Quản lý các khu công nghiệp", "Công an tỉnh – Xuất nhập cảnh", "Bảo hiểm xã hội",
	"Cục Thuế tỉnh", "Điện lực", "Trả kết quả", "Hướng dẫn, tiếp nhận phản ánh",
}

// bigCentre is the demo centre with fields fields (the first of bigFields)
// and counters counters, all served.
func bigCentre(t *testing.T, counters, fields int) string {
	t.Helper()
	raw, err := fs.ReadFile(assets.FS, "demo/centre.json")
	if err != nil {
		t.Fatal(err)
	}
	var c map[string]any
	if err := json.Unmarshal(raw, &c); err != nil {
		t.Fatal(err)
	}
	var svcs []any
	for i := range fields {
		svcs = append(svcs, map[string]any{"id": fmt.Sprintf("f%d", i+1), "prefix": string(rune('A' + i)),
			"name": map[string]string{"vi": bigFields[i], "en": bigFields[i]}, "target_minutes": 20})
	}
	c["services"] = svcs
	raw, err = json.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	return centreWithCountersFrom(t, raw, counters)
}

// layoutProblems lists what is wrong with the board on screen: texts that
// overlap, a banner over a text of the board, a text cut or out of the
// window, tile codes below the floor (5.4 % of the height), waiting names
// below theirs (3 %).
const layoutProblems = `(() => {
	const bad = [];
	const vis = (e) => { const r = e.getBoundingClientRect(); return r.width > 0 && r.height > 0 && getComputedStyle(e).visibility !== 'hidden'; };
	const over = (a, b) => a.left + 1 < b.right && b.left + 1 < a.right && a.top + 1 < b.bottom && b.top + 1 < a.bottom;
	const texts = [];
	const walker = document.createTreeWalker(document.getElementById('board'), NodeFilter.SHOW_TEXT);
	for (let n; (n = walker.nextNode());) {
		if (!n.textContent.trim()) continue;
		const el = n.parentElement;
		if (el.closest('.notice') || !vis(el)) continue;
		const rg = document.createRange();
		rg.selectNodeContents(n);
		for (const r of rg.getClientRects()) if (r.width > 0) texts.push({ el, r, s: n.textContent.trim() });
	}
	for (let i = 0; i < texts.length; i++) {
		const a = texts[i];
		if (a.r.left < -1 || a.r.top < -1 || a.r.right > innerWidth + 1 || a.r.bottom > innerHeight + 1) bad.push('outside the window: ' + a.s);
		for (let j = i + 1; j < texts.length; j++) {
			const b = texts[j];
			// Line boxes of one text node touch; a line box is taller than its glyphs.
			if (a.el === b.el) continue;
			const shrink = (r) => ({ left: r.left, right: r.right, top: r.top + r.height * 0.15, bottom: r.bottom - r.height * 0.15 });
			if (over(shrink(a.r), shrink(b.r))) bad.push('overlap: ' + a.s + ' / ' + b.s);
		}
	}
	for (const bn of document.querySelectorAll('.banner')) {
		if (!vis(bn)) continue;
		const br = bn.getBoundingClientRect();
		for (const x of texts) if (!bn.contains(x.el) && over(br, x.r)) bad.push('banner over: ' + x.s);
	}
	for (const e of document.querySelectorAll('#board *')) {
		if (!vis(e) || e.closest('.notice') || e.clientWidth === 0) continue;
		if (e.scrollWidth > e.clientWidth + 1) bad.push('cut sideways: ' + (e.id || e.className) + ' ' + e.textContent.slice(0, 40));
		if (e.matches('.tile, .hero, .panel, .rows, .banner, .name') && e.scrollHeight > e.clientHeight + 1) bad.push('cut: ' + (e.id || e.className) + ' ' + e.textContent.slice(0, 40));
	}
	const px = (e) => parseFloat(getComputedStyle(e).fontSize);
	for (const e of document.querySelectorAll('#tiles .tile:not(.paused) .code, #hero-code')) {
		if (e.textContent && px(e) < 0.054 * innerHeight - 1) bad.push('code ' + e.textContent + ' at ' + px(e) + ' px');
	}
	for (const e of document.querySelectorAll('#waiting li:not([hidden]) .name, #tiles .label')) {
		if (px(e) < 0.03 * innerHeight - 1) bad.push('small: ' + e.textContent + ' at ' + px(e) + ' px');
	}
	return bad;
})()`

// allPages steps through the pages and returns every tile label and
// waiting name shown on any of them, with the page marks seen.
const allPages = `(() => {
	const s = civiqDisplay.screen, seen = new Set(), marks = new Set();
	for (let i = 0; i < 12; i++) {
		s.pageShift++;
		s.render();
		for (const e of document.querySelectorAll('#tiles .label, #waiting li:not([hidden]) .name')) seen.add(e.textContent);
		for (const e of document.querySelectorAll('.page-mark:not([hidden])')) marks.add(e.id + ' ' + e.textContent);
	}
	return [...seen, ...[...marks].map(m => 'mark ' + m)];
})()`

// TestDisplayScreenshots: the board of the demo (4 counters, 8 fields) and
// of a provincial centre (40 counters, 25 fields with long names) at
// 1920×1080 and 1280×720 (saved with -screenshots DIR as
// web-display-N-WxH.png): nothing overlaps, nothing is cut, codes and
// names stay above their floors, what does not fit is paged with a page
// mark and every counter and field is on some page; the banner strip (the
// sound prompt, the offline band) pushes the board down instead of
// covering it; six-character codes fit.
func TestDisplayScreenshots(t *testing.T) {
	for _, c := range []struct{ counters, fields int }{{4, 0}, {40, 25}} {
		t.Run(fmt.Sprint(c.counters), func(t *testing.T) {
			centre := centreWithCounters(t, c.counters)
			if c.fields > 0 {
				centre = bigCentre(t, c.counters, c.fields)
			}
			srv := servertest.Start(t, servertest.Options{NoRateLimits: true, CentreFile: centre})
			ctx := context.Background()
			admin := srv.Client(srv.AdminToken())
			svcs, err := admin.Services(ctx)
			if err != nil {
				t.Fatal(err)
			}
			for _, s := range svcs {
				for range 4 {
					srv.Issue(s.ID, false)
				}
			}
			n := c.counters
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
			p.wait(`civiqDisplay.board.counters.length > 0 && document.querySelectorAll('#tiles .tile').length > 0`, "the counters")
			check := func(what string, w, h int64) {
				t.Helper()
				p.do(chromedp.EmulateViewport(w, h))
				// Headless Chromium may deliver the resize event late: lay
				// out at once, as the event would.
				p.wait(`(civiqDisplay.screen.resize(), new Promise(r => setTimeout(() => r(true), 300)))`, "layout")
				if bad := eval[[]string](p, layoutProblems); len(bad) > 0 {
					t.Errorf("%d counters, %s at %dx%d: %q", n, what, w, h, bad)
				}
			}
			// The sound prompt sits in the banner strip, over nothing.
			if !eval[bool](p, `civiqDisplay.player.unlocked`) {
				p.wait(`!document.getElementById('sound-prompt').hidden`, "the sound prompt")
				check("sound prompt", 1920, 1080)
				if n == 40 {
					p.screenshot("web-display-40-sound", 1920, 1080)
				}
				p.do(chromedp.Click(chromedp.CSS("#sound-prompt")))
				p.wait(`document.getElementById('sound-prompt').hidden`, "sound on")
			}
			for _, size := range [][2]int64{{1920, 1080}, {1280, 720}} {
				check("live", size[0], size[1])
				got := eval[[]string](p, allPages)
				shown := strings.Join(got, "\n")
				for i := 1; i <= n; i++ {
					if !strings.Contains(shown, fmt.Sprintf("Quầy %d\n", i)) && !strings.HasSuffix(shown, fmt.Sprintf("Quầy %d", i)) {
						t.Errorf("%dx%d: counter %d on no page", size[0], size[1], i)
					}
				}
				for _, s := range svcs {
					if !strings.Contains(shown, s.Prefix+" · "+s.Name.Vi) {
						t.Errorf("%dx%d: field %q on no page", size[0], size[1], s.Name.Vi)
					}
				}
				if n == 40 && !strings.Contains(shown, "mark tiles-page 2/") {
					t.Errorf("%dx%d: 40 counters but no second page: %q", size[0], size[1], got)
				}
				eval[bool](p, `(civiqDisplay.screen.pageShift = 0, civiqDisplay.screen.render(), true)`)
				p.wait(`document.getElementById('tiles-page').hidden || document.getElementById('tiles-page').textContent.startsWith('1/')`, "page 1")
				p.screenshot(fmt.Sprintf("web-display-%d", n), size[0], size[1])
			}
			// Codes of five and six characters (offline tickets) fit, apart
			// from the arrow.
			eval[bool](p, `(() => {
				const b = structuredClone(civiqDisplay.board);
				b.counters.forEach((cs, i) => { if (cs.current) cs.current.code = i % 2 ? 'A5002' : 'AB5002'; });
				b.recent[0].ticket.code = 'AB5002';
				civiqDisplay.screen.update(b, { type: 'test' }, true);
				return true;
			})()`)
			for _, size := range [][2]int64{{1920, 1080}, {1280, 720}} {
				check("six-character codes", size[0], size[1])
			}
			if gap := eval[float64](p, `document.getElementById('hero-counter').getBoundingClientRect().left - document.getElementById('hero-code').getBoundingClientRect().right`); gap < 0.3*eval[float64](p, `parseFloat(getComputedStyle(document.getElementById('hero-code')).fontSize)`) {
				t.Errorf("hero code and arrow %v px apart", gap)
			}
			// The offline band takes its own row.
			srv.Stop()
			p.wait(`!document.getElementById('offline').hidden`, "the offline band")
			check("offline", 1920, 1080)
			check("offline", 1280, 720)
			if n == 40 {
				p.screenshot("web-display-40-offline", 1920, 1080)
			}
			p.takeNotes()
		})
	}
}

// TestDisplayStorageDown: a server that answers but cannot save (a fake in
// front of a real one answering 503 on /healthz) shows "Máy chủ không lưu
// được dữ liệu" in the banner strip, distinct from the offline band, and
// the band goes when the server can save again.
func TestDisplayStorageDown(t *testing.T) {
	srv := startServer(t)
	fault := servertest.NewStorageFault(t, srv.URL)
	p := newTab(t, srv)
	p.base = fault.URL
	openDisplay(p)
	fault.SetDown(true)
	eval[bool](p, `(civiqDisplay.checkHealth(), true)`)
	p.wait(`!document.getElementById('storage').hidden && document.getElementById('offline').hidden`, "the cannot-save band")
	if txt := p.textOf("#storage"); !strings.Contains(txt, "Máy chủ không lưu được dữ liệu") {
		t.Errorf("storage band says %q", txt)
	}
	if bad := eval[[]string](p, layoutProblems); len(bad) > 0 {
		t.Errorf("with the storage band: %q", bad)
	}
	p.screenshot("web-display-storage", 1280, 720)
	fault.SetDown(false)
	eval[bool](p, `(civiqDisplay.checkHealth(), true)`)
	p.wait(`document.getElementById('storage').hidden`, "the band gone")
	p.takeNotes() // the 503 shows as a failed fetch in the console
}

// TestDisplayLiveRename: a field renamed and a counter renumbered in the
// admin API show on the web display within 2 s, without a reload.
func TestDisplayLiveRename(t *testing.T) {
	srv := startServer(t)
	ctx := context.Background()
	admin := srv.Client(srv.AdminToken())
	if _, err := admin.SetCounterStatus(ctx, "q1", protocol.CounterOpen); err != nil {
		t.Fatal(err)
	}
	p := newTab(t, srv)
	openDisplay(p)
	svcs, err := admin.Services(ctx)
	if err != nil {
		t.Fatal(err)
	}
	sv := svcs[0]
	sv.Name = protocol.Text{Vi: "Sở Lao động – Thương binh và Xã hội", En: "Labour"}
	start := time.Now()
	if _, err := admin.Do(ctx, "PUT", "/api/v1/services/"+sv.ID, sv, nil, nil); err != nil {
		t.Fatal(err)
	}
	p.waitFor(`Array.from(document.querySelectorAll('#waiting .name')).some(e => e.textContent.includes('Thương binh và Xã hội'))`, "the new field name", 2*time.Second)
	t.Logf("renamed field shown after %v", time.Since(start).Round(time.Millisecond))
	counters, err := admin.Counters(ctx)
	if err != nil {
		t.Fatal(err)
	}
	q := counters[0]
	q.Number = 37
	start = time.Now()
	if _, err := admin.Do(ctx, "PUT", "/api/v1/counters/"+q.ID, q, nil, nil); err != nil {
		t.Fatal(err)
	}
	p.waitFor(`civiqDisplay.screen.tiles.some(x => x.label === 'Quầy 37')`, "the renumbered counter", 2*time.Second)
	t.Logf("renumbered counter shown after %v", time.Since(start).Round(time.Millisecond))
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
