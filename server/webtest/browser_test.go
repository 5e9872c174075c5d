package webtest

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	cdpbrowser "github.com/chromedp/cdproto/browser"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"github.com/civiq/civiq/server/servertest"
)

var screenshotDir = flag.String("screenshots", "", "write page screenshots into this folder (e.g. ../../docs/screenshots)")

// chrome is the one browser every test of this binary shares (each test gets
// its own browser context, like a private window): starting Chromium costs
// about a second and the machine has two cores. It is a OnceValues, not a
// variable tests assign, so there is no mutable package state.
var chrome = sync.OnceValues(startChrome)

type browser struct {
	ctx    context.Context
	cancel func()
	dir    string
}

func chromePath() (string, error) {
	if p := os.Getenv("CIVIQ_CHROMIUM"); p != "" {
		return p, nil
	}
	for _, name := range []string{"/usr/bin/chromium", "chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p, nil
		}
	}
	return "", errors.New("chromium not found: install the Debian package chromium (make deps) or set CIVIQ_CHROMIUM")
}

func startChrome() (*browser, error) {
	path, err := chromePath()
	if err != nil {
		return nil, err
	}
	// Chromium now and then dies at start on a loaded machine (the pipe
	// closes before the first answer, with no output); a second try works.
	var errs []error
	for range 3 {
		b, err := startChromeOnce(path)
		if err == nil {
			return b, nil
		}
		errs = append(errs, err)
		time.Sleep(500 * time.Millisecond)
	}
	return nil, errors.Join(errs...)
}

func startChromeOnce(path string) (*browser, error) {
	dir, err := os.MkdirTemp("", "civiq-webtest-")
	if err != nil {
		return nil, err
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.UserDataDir(dir),
		chromedp.WindowSize(1366, 768),
		chromedp.Flag("lang", "vi-VN"),
		chromedp.Flag("disable-background-networking", true),
	)
	actx, acancel := chromedp.NewExecAllocator(context.Background(), opts...)
	bctx, bcancel := chromedp.NewContext(actx)
	if err := chromedp.Do(bctx); err != nil {
		bcancel()
		acancel()
		os.RemoveAll(dir)
		return nil, fmt.Errorf("start %s: %w", path, err)
	}
	return &browser{ctx: bctx, cancel: func() { bcancel(); acancel() }, dir: dir}, nil
}

func TestMain(m *testing.M) {
	flag.Parse()
	code := m.Run()
	if b, err := chrome(); err == nil {
		b.cancel()
		os.RemoveAll(b.dir)
	}
	os.Exit(code)
}

// cspBinding is the function pages call (in tests only) to report a
// Content-Security-Policy violation.
const cspBinding = "civiqReportCSP"

// tab is one browser tab on a test server.
type tab struct {
	t   *testing.T
	ctx context.Context
	srv *servertest.Server
	// base is where the tab goes (default: the server's URL).
	base string

	mu   sync.Mutex
	errs []string
}

// newTab opens a tab in a fresh browser context (own cookies and storage).
func newTab(t *testing.T, srv *servertest.Server) *tab {
	t.Helper()
	b, err := chrome()
	if err != nil {
		t.Fatalf("browser: %v", err)
	}
	ctx, cancel := chromedp.NewContext(b.ctx, chromedp.WithNewBrowserContext())
	t.Cleanup(cancel)
	return setupTab(t, ctx, srv)
}

// sibling opens another tab in the same browser context (shared cookies), like
// a clerk opening the console twice.
func (p *tab) sibling() *tab {
	ctx, cancel := chromedp.NewContext(p.ctx)
	p.t.Cleanup(cancel)
	return setupTab(p.t, ctx, p.srv)
}

func setupTab(t *testing.T, ctx context.Context, srv *servertest.Server) *tab {
	t.Helper()
	p := &tab{t: t, ctx: ctx, srv: srv}
	dialogs := make(chan string, 8)
	err := chromedp.Listen(ctx, func(ev any) {
		switch ev := ev.(type) {
		case *runtime.EventExceptionThrown:
			p.note("uncaught exception: " + ev.ExceptionDetails.Text + " " + describe(ev.ExceptionDetails.Exception))
		case *runtime.EventConsoleAPICalled:
			if ev.Type == runtime.ConsoleAPICalledTypeError {
				var parts []string
				for _, a := range ev.Args {
					parts = append(parts, string(a.Value)+a.Description)
				}
				t.Logf("console.error: %s", strings.Join(parts, " "))
			}
		case *runtime.EventBindingCalled:
			if ev.Name == cspBinding {
				p.note("Content-Security-Policy violation: " + ev.Payload)
			}
		case *page.EventJavascriptDialogOpening:
			p.note("a JavaScript dialog opened: " + ev.Message)
			select {
			case dialogs <- ev.Message:
			default:
			}
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	go func() {
		// A dialog blocks the page; close it so the test can report it.
		for {
			select {
			case <-ctx.Done():
				return
			case <-dialogs:
				_, _ = chromedp.Call(ctx, page.HandleJavaScriptDialog, page.HandleJavaScriptDialogParams{Accept: true})
			}
		}
	}()
	// Report what the server's CSP blocks (an inline script or style that
	// slipped into a page would silently not work).
	if _, err := chromedp.Call(ctx, runtime.AddBinding, runtime.AddBindingParams{Name: cspBinding}); err != nil {
		t.Fatal(err)
	}
	if _, err := chromedp.Call(ctx, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{
		Source: `document.addEventListener('securitypolicyviolation', e => window.` + cspBinding + `(e.violatedDirective + ' ' + e.blockedURI + ' ' + e.sourceFile + ':' + e.lineNumber))`,
	}); err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(1366, 768)); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		p.mu.Lock()
		defer p.mu.Unlock()
		for _, e := range p.errs {
			t.Errorf("page: %s", e)
		}
	})
	return p
}

func describe(o *runtime.RemoteObject) string {
	if o == nil {
		return ""
	}
	return o.Description
}

func (p *tab) note(s string) {
	p.mu.Lock()
	p.errs = append(p.errs, s)
	p.mu.Unlock()
}

// takeNotes returns and forgets the page faults noted so far (for tests
// that provoke one on purpose).
func (p *tab) takeNotes() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := p.errs
	p.errs = nil
	return out
}

// fastTimers makes the page's own setTimeout delays factor times shorter
// from the next page load on (a clock run fast, as Playwright's clock does):
// a page that polls every 20 s polls every 2 s, and the test still watches
// it act by itself, with no reload.
func (p *tab) fastTimers(factor int) {
	p.t.Helper()
	src := fmt.Sprintf(`(() => { const st = window.setTimeout.bind(window); window.setTimeout = (fn, ms, ...args) => st(fn, (Number(ms) || 0) / %d, ...args); })()`, factor)
	if _, err := chromedp.Call(p.ctx, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{Source: src}); err != nil {
		p.t.Fatal(err)
	}
}

// download clicks sel, which makes the page save a file, and returns the
// file's name and content as Chromium saved them (into a folder of the
// test's own, for this tab's browser context).
func (p *tab) download(sel string) (name string, data []byte) {
	p.t.Helper()
	dir := p.t.TempDir()
	if _, err := chromedp.CallBrowser(p.ctx, cdpbrowser.SetDownloadBehavior, cdpbrowser.SetDownloadBehaviorParams{
		Behavior:         cdpbrowser.SetDownloadBehaviorBehaviorAllow,
		BrowserContextID: chromedp.FromContext(p.ctx).BrowserContextID,
		DownloadPath:     dir,
	}); err != nil {
		p.t.Fatal(err)
	}
	p.click(sel)
	// Chromium writes NAME.crdownload and renames it NAME once complete.
	deadline := time.Now().Add(10 * time.Second)
	for {
		files, err := os.ReadDir(dir)
		if err != nil {
			p.t.Fatal(err)
		}
		if len(files) == 1 && !strings.HasSuffix(files[0].Name(), ".crdownload") {
			data, err := os.ReadFile(filepath.Join(dir, files[0].Name()))
			if err != nil {
				p.t.Fatal(err)
			}
			return files[0].Name(), data
		}
		if time.Now().After(deadline) {
			p.t.Fatalf("no download after clicking %s (folder: %v)\npage text:\n%s", sel, files, p.text())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// fastTimer makes the page's setTimeout and setInterval calls of exactly
// d run factor times sooner, from the next page load on: one named timer
// (the dashboard's 5 s health poll, the rating tablet's 8 s thanks) runs
// fast while every other timer of the page (request time-outs, the
// websocket watchdog) keeps its real length. The test still watches the
// page act by itself; a page whose timer changes length is only slower
// to test, never wrongly passed.
func (p *tab) fastTimer(d time.Duration, factor int) {
	p.t.Helper()
	src := fmt.Sprintf(`(() => {
  const ms = %d, f = %d, st = window.setTimeout.bind(window), si = window.setInterval.bind(window);
  const scale = (d) => (Number(d) === ms ? ms / f : d);
  window.setTimeout = (fn, d, ...args) => st(fn, scale(d), ...args);
  window.setInterval = (fn, d, ...args) => si(fn, scale(d), ...args);
})()`, d.Milliseconds(), factor)
	if _, err := chromedp.Call(p.ctx, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{Source: src}); err != nil {
		p.t.Fatal(err)
	}
}

// do runs actions with a time limit.
func (p *tab) do(actions ...chromedp.Action[chromedp.Void]) {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, 20*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		p.t.Fatalf("browser: %v\npage text:\n%s", err, p.text())
	}
}

func (p *tab) open(path string) {
	p.t.Helper()
	base := p.base
	if base == "" {
		base = p.srv.URL
	}
	p.do(chromedp.Navigate(base + path))
}

// eval runs a JavaScript expression and decodes its result.
func eval[T any](p *tab, expr string) T {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, 20*time.Second)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expr, chromedp.EvalAwaitPromise))
	if err != nil {
		p.t.Fatalf("eval %s: %v", expr, err)
	}
	return v
}

// text is the visible text of the page, for failure messages.
func (p *tab) text() string {
	ctx, cancel := context.WithTimeout(p.ctx, 5*time.Second)
	defer cancel()
	s, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.body ? document.body.innerText : ""`))
	if err != nil {
		return "(unavailable: " + err.Error() + ")"
	}
	return s
}

// wait polls until the JavaScript expression is truthy.
func (p *tab) wait(expr string, what string) {
	p.t.Helper()
	p.waitFor(expr, what, 10*time.Second)
}

func (p *tab) waitFor(expr string, what string, d time.Duration) {
	p.t.Helper()
	deadline := time.Now().Add(d)
	for {
		left := time.Until(deadline)
		ctx, cancel := context.WithTimeout(p.ctx, left+5*time.Second)
		_, err := chromedp.Run(ctx, chromedp.Poll[bool]("!!("+expr+")", chromedp.WithPollingTimeout(left), chromedp.WithPollingInterval(50*time.Millisecond)))
		cancel()
		if err == nil {
			return
		}
		// A navigation destroys the page's JavaScript context under the
		// poll; poll again in the new page until the deadline.
		if time.Now().After(deadline) || p.ctx.Err() != nil || strings.Contains(err.Error(), "timeout") {
			p.t.Fatalf("waiting for %s: %v\npage text:\n%s", what, err, p.text())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// textOf is the textContent of the first element matching sel ("" if none).
func (p *tab) textOf(sel string) string {
	p.t.Helper()
	return eval[string](p, fmt.Sprintf(`(document.querySelector(%q) || {textContent: ""}).textContent`, sel))
}

// waitText waits until the element's text contains want.
func (p *tab) waitText(sel, want string) {
	p.t.Helper()
	p.wait(fmt.Sprintf(`(document.querySelector(%q) || {textContent: ""}).textContent.includes(%q)`, sel, want), fmt.Sprintf("%s to show %q", sel, want))
}

func (p *tab) click(sel string) {
	p.t.Helper()
	p.wait(fmt.Sprintf(`(() => { const e = document.querySelector(%q); return e && !e.disabled && e.offsetParent !== null })()`, sel), sel+" to be clickable")
	p.do(chromedp.Click(chromedp.CSS(sel)))
}

// key presses one key on the page (as the clerk's keyboard would).
func (p *tab) key(k string) {
	p.t.Helper()
	p.do(chromedp.KeyEvent(k))
}

func (p *tab) setValue(sel, v string) {
	p.t.Helper()
	eval[chromedp.Void](p, fmt.Sprintf(`(() => { const e = document.querySelector(%q); e.value = %q; e.dispatchEvent(new Event('input', {bubbles: true})); e.dispatchEvent(new Event('change', {bubbles: true})); })()`, sel, v))
}

// typeInto focuses a field, clears it and types like a person.
func (p *tab) typeInto(sel, v string) {
	p.t.Helper()
	p.setValue(sel, "")
	p.do(chromedp.SendKeys(chromedp.CSS(sel), v))
}

// login fills the login form of the current page.
func (p *tab) login(user, password string) {
	p.t.Helper()
	p.wait(`document.querySelector('#login-user')`, "the login form")
	p.typeInto("#login-user", user)
	p.typeInto("#login-password", password)
	p.click("#login-submit")
}

// screenshot checks the page at width×height: nothing overflows sideways
// (a horizontal scroll bar is the first sign of a cramped layout) and no
// table must scroll. With -screenshots it saves the page there as
// name-WIDTHxHEIGHT.png, to be looked at; without, it captures nothing (a
// capture nobody looks at took 1–4 s of a loaded machine, each).
func (p *tab) screenshot(name string, width, height int64) {
	p.t.Helper()
	p.do(chromedp.EmulateViewport(width, height))
	// Let layout and any transitions settle at the new size.
	p.wait(`new Promise(r => requestAnimationFrame(() => requestAnimationFrame(() => r(true))))`, "a frame")
	overflow := eval[int](p, `document.documentElement.scrollWidth - document.documentElement.clientWidth`)
	if overflow > 0 {
		p.t.Errorf("%s at %dx%d: the page is %d px wider than the window", name, width, height, overflow)
	}
	// Tables scroll inside their frame; one that must scroll at these sizes is too wide.
	if wide := eval[[]string](p, `Array.from(document.querySelectorAll('.tbl-wrap')).filter(e => e.offsetParent && e.scrollWidth > e.clientWidth + 1).map(e => (e.querySelector('table') || e).id)`); len(wide) > 0 {
		p.t.Errorf("%s at %dx%d: tables too wide for their frame: %v", name, width, height, wide)
	}
	dir := *screenshotDir
	if dir == "" {
		p.do(chromedp.EmulateViewport(1366, 768))
		return
	}
	ctx, cancel := context.WithTimeout(p.ctx, 20*time.Second)
	defer cancel()
	shot := chromedp.FullScreenshot(100)
	if eval[bool](p, `!!document.querySelector('dialog[open]')`) {
		// A modal's backdrop covers the window only: capture just the window.
		shot = chromedp.CaptureScreenshot()
	}
	png, err := chromedp.Run(ctx, shot)
	if err != nil {
		p.t.Fatalf("screenshot: %v", err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		p.t.Fatal(err)
	}
	file := filepath.Join(dir, fmt.Sprintf("%s-%dx%d.png", name, width, height))
	if err := os.WriteFile(file, png, 0o644); err != nil {
		p.t.Fatal(err)
	}
	p.do(chromedp.EmulateViewport(1366, 768))
}
