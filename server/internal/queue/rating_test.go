package queue

import (
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/civiq/civiq/server/protocol"
)

func TestValidateRating(t *testing.T) {
	ok := []protocol.RatingRequest{
		{Score: protocol.ScoreVerySatisfied},
		{Score: protocol.ScoreSatisfied, Comment: "  Cán bộ nhiệt tình\nxin cảm ơn  "},
		{Score: protocol.ScoreUnsatisfied, Comment: strings.Repeat("ạ", protocol.MaxRatingComment)},
	}
	for _, r := range ok {
		got, err := ValidateRating(r)
		if err != nil {
			t.Errorf("%+v: %v", r, err)
		}
		if got.Comment != strings.TrimSpace(r.Comment) {
			t.Errorf("comment not trimmed: %q", got.Comment)
		}
	}
	bad := []protocol.RatingRequest{
		{},
		{Score: "good"},
		{Score: protocol.ScoreSatisfied, Comment: strings.Repeat("a", protocol.MaxRatingComment+1)},
		{Score: protocol.ScoreSatisfied, Comment: "a\x00b"},
		{Score: protocol.ScoreSatisfied, Comment: "\xff"},
		{Score: protocol.ScoreSatisfied, Reasons: []string{protocol.ReasonLongWait}},
		{Score: protocol.ScoreUnsatisfied, Reasons: []string{"slow"}},
	}
	for _, r := range bad {
		if _, err := ValidateRating(r); err == nil {
			t.Errorf("%+v accepted", r)
		}
	}
}

func TestValidateRatingReasons(t *testing.T) {
	got, err := ValidateRating(protocol.RatingRequest{Score: protocol.ScoreUnsatisfied,
		Reasons: []string{protocol.ReasonOther, protocol.ReasonLongWait, protocol.ReasonOther}})
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{protocol.ReasonLongWait, protocol.ReasonOther}; !slices.Equal(got.Reasons, want) {
		t.Fatalf("reasons %v, want %v (deduplicated, in list order)", got.Reasons, want)
	}
}

func FuzzValidateRating(f *testing.F) {
	f.Add("satisfied", "Tốt")
	f.Add("unsatisfied", "chờ lâu\n")
	f.Add("x", "\x00")
	f.Fuzz(func(t *testing.T, score, comment string) {
		r, err := ValidateRating(protocol.RatingRequest{Score: score, Comment: comment})
		if err != nil {
			return
		}
		if !utf8.ValidString(r.Comment) || utf8.RuneCountInString(r.Comment) > protocol.MaxRatingComment {
			t.Fatalf("accepted %q", r.Comment)
		}
	})
}
