package webtest

import (
	"fmt"
	"strings"
	"testing"

	"github.com/civiq/civiq/server/servertest"
)

// TestAdminListsOf40: the fields and the counters lists of a centre of 40
// fields with long names and 40 counters (the first serving all 40), at
// the common screen sizes: nothing wider than the window, each list
// scrolling in its frame under its column heads, a field's name given room
// and never cut; a counter of many fields shows six and "+ 34 more
// fields" (named in its tooltip), which opens to all 40 and folds again;
// the chips' Vietnamese in the page's font.
func TestAdminListsOf40(t *testing.T) {
	srv := servertest.Start(t, servertest.Options{NoRateLimits: true, CentreFile: provinceCentre(t, 40, 40)})
	p := newTab(t, srv)
	openAdmin(p, "fields")
	p.wait(`document.querySelectorAll('#fields tbody tr').length === 40`, "40 fields")
	for _, s := range sizes {
		p.screenshot("admin-fields-40", s[0], s[1])
		what := fmt.Sprintf("fields at %dx%d", s[0], s[1])
		frameHolds(t, p, what, "#fields")
		if w := eval[float64](p, `Math.min(...Array.from(document.querySelectorAll('#fields td.field-name-cell')).map(e => e.getBoundingClientRect().width))`); w < 287 {
			t.Errorf("%s: a field's name has %.0f px, want at least 18rem", what, w)
		}
		if cut := eval[[]string](p, `Array.from(document.querySelectorAll('#fields .field-name')).filter(e => e.scrollWidth > e.clientWidth + 1).map(e => e.textContent)`); len(cut) > 0 {
			t.Errorf("%s: names cut: %q", what, cut)
		}
	}

	p.open("/admin#counters")
	p.wait(`document.querySelectorAll('#counters tbody tr').length === 40`, "40 counters")
	q1 := `#counters tr[data-counter="q1"]`
	for _, s := range sizes {
		p.screenshot("admin-counters-40x40", s[0], s[1])
		what := fmt.Sprintf("counters at %dx%d", s[0], s[1])
		frameHolds(t, p, what, "#counters")
		if h := eval[float64](p, `document.querySelector('`+q1+`').getBoundingClientRect().height`); h > 768/3 {
			t.Errorf("%s: the counter of 40 fields takes %.0f px, more than a third of a 768 px window", what, h)
		}
	}
	if n := eval[int](p, `document.querySelectorAll('`+q1+` .chip:not(.chip-more)').length`); n != 6 {
		t.Errorf("the counter of 40 fields shows %d of them, want 6", n)
	}
	p.waitText(q1+" .chip-more", "+ 34 lĩnh vực khác")
	tip := eval[string](p, `document.querySelector('`+q1+` .chip-more').title`)
	if lines := strings.Split(tip, "\n"); len(lines) != 34 || lines[0] != "G · "+realFields[6].vi || lines[33] != "AN · "+realFields[39].vi {
		t.Errorf("the tooltip names %d fields: %q", len(lines), tip)
	}
	if mono := eval[[]string](p, `Array.from(document.querySelectorAll('#counters .chip')).map(e => getComputedStyle(e).fontFamily).filter(f => /mono/i.test(f))`); len(mono) > 0 {
		t.Errorf("chips in a monospace font: %q", mono[0])
	}
	p.click(q1 + " .chip-more")
	p.wait(`document.querySelectorAll('`+q1+` .chip:not(.chip-more)').length === 40`, "all 40 fields of q1")
	p.waitText(q1+" .chip-more", "Thu gọn")
	p.screenshot("admin-counters-40x40-open", 1366, 768)
	p.click(q1 + " .chip-more")
	p.wait(`document.querySelectorAll('`+q1+` .chip:not(.chip-more)').length === 6`, "q1 folded again")
	p.click("[data-lang-switch]")
	p.waitText(q1+" .chip-more", "+ 34 more fields")
}
