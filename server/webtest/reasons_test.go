package webtest

import (
	"context"
	"slices"
	"testing"

	"github.com/civiq/civiq/server/protocol"
	"github.com/civiq/civiq/server/servertest"
)

// TestRatingReasons: "Chưa hài lòng" asks why (a short list, several
// allowed, plus the free text) on the phone page and on the counter
// tablet; the reasons are stored with the rating; other scores send none.
func TestRatingReasons(t *testing.T) {
	srv := startServer(t)
	ctx := context.Background()
	clerk := srv.Client(srv.ClerkToken("canbo1"))
	mine := srv.Issue("dat-dai", false)
	if _, err := clerk.Next(ctx, "q1"); err != nil {
		t.Fatal(err)
	}
	if _, err := clerk.Done(ctx, "q1"); err != nil {
		t.Fatal(err)
	}
	p := newTab(t, srv)
	p.open("/t/" + mine.Token)
	p.wait(`document.querySelector('#rating-form')`, "the rating form")
	if !eval[bool](p, `document.querySelector('#rate-why').hidden`) {
		t.Fatal("reasons asked before a score was picked")
	}
	p.click(".score-unsatisfied")
	p.wait(`!document.querySelector('#rate-why').hidden`, "the reasons")
	labels := eval[[]string](p, `[...document.querySelectorAll('#rate-why .reason')].map(b => b.textContent)`)
	if !slices.Equal(labels, []string{"Chờ lâu", "Thái độ phục vụ", "Hướng dẫn chưa rõ", "Thiếu thông tin", "Lý do khác"}) {
		t.Errorf("reasons %q", labels)
	}
	p.click(`[data-reason="long_wait"]`)
	p.click(`[data-reason="unclear_guidance"]`)
	p.click(`[data-reason="attitude"]`)
	p.click(`[data-reason="attitude"]`) // changed their mind
	p.typeInto("#rate-comment", "Chờ hơn một tiếng mà không ai giải thích")
	p.screenshot("phone-rating-reasons", phoneW, phoneH)
	// Another score hides the reasons; back to unsatisfied keeps the choice.
	p.click(".score-satisfied")
	p.wait(`document.querySelector('#rate-why').hidden`, "the reasons hidden")
	p.click(".score-unsatisfied")
	p.click("#rate-send")
	p.waitText("#title", "Cảm ơn")
	r := ratings(t, srv)
	if len(r) != 1 || r[0].Score != protocol.ScoreUnsatisfied || !slices.Equal(r[0].Reasons, []string{"long_wait", "unclear_guidance"}) || r[0].Comment != "Chờ hơn một tiếng mà không ai giải thích" {
		t.Fatalf("stored %+v", r)
	}

	// The counter tablet: unsatisfied with one reason.
	tb := newTab(t, srv)
	srv.ClerkToken("canbo1")
	tb.open("/rate/q1")
	tb.login("canbo1", servertest.ClerkPassword("canbo1"))
	tb.waitText("#title", "Đánh giá mức độ hài lòng")
	tk := srv.Issue("dat-dai", false)
	if _, err := clerk.Next(ctx, "q1"); err != nil {
		t.Fatal(err)
	}
	if _, err := clerk.Done(ctx, "q1"); err != nil {
		t.Fatal(err)
	}
	tb.waitText("#for", tk.Code)
	tb.click(".score-unsatisfied")
	tb.click(`[data-reason="missing_information"]`)
	tb.screenshot("phone-rate-tablet-reasons", 1280, 800)
	tb.click("#rate-send")
	tb.waitText("#title", "Cảm ơn")
	for _, x := range ratings(t, srv) {
		if x.TicketID == tk.ID && (x.Via != "counter" || !slices.Equal(x.Reasons, []string{"missing_information"})) {
			t.Fatalf("tablet rating %+v", x)
		}
	}
	// A satisfied rating never carries reasons, even chosen before.
	third := srv.Issue("dat-dai", false)
	if _, err := clerk.Next(ctx, "q1"); err != nil {
		t.Fatal(err)
	}
	if _, err := clerk.Done(ctx, "q1"); err != nil {
		t.Fatal(err)
	}
	p.open("/t/" + third.Token)
	p.wait(`document.querySelector('#rating-form')`, "the rating form")
	p.click(".score-unsatisfied")
	p.click(`[data-reason="other"]`)
	p.click(".score-very_satisfied")
	p.click("#rate-send")
	p.waitText("#title", "Cảm ơn")
	for _, x := range ratings(t, srv) {
		if x.TicketID == third.ID && (x.Score != protocol.ScoreVerySatisfied || x.Reasons != nil) {
			t.Fatalf("third rating %+v", x)
		}
	}
}
