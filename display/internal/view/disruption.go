package view

import (
	"slices"
	"strconv"
	"strings"

	"github.com/civiq/civiq/server/protocol"
)

// disruptionWhat says what failed, per cause, in each language; the words
// are those of the web display and the phone page
// (assets/web/static/display/disruption.js), so every screen of the hall
// says the same.
var disruptionWhat = map[string]map[string]string{
	"one_stop_software": {"vi": "Phần mềm một cửa đang gián đoạn", "en": "The one-stop software is temporarily down"},
	"network":           {"vi": "Mạng đang gián đoạn", "en": "The network is temporarily down"},
	"power":             {"vi": "Điện đang gián đoạn", "en": "The power is temporarily out"},
	"printer":           {"vi": "Máy in đang gặp sự cố", "en": "A printer is out of order"},
	"other":             {"vi": "Hệ thống đang gián đoạn", "en": "Service is temporarily disrupted"},
}

var disruptionTail = map[string]string{
	"vi": ", thời gian chờ có thể lâu hơn. Xin cảm ơn quý vị đã kiên nhẫn.",
	"en": "; waits may be longer. Thank you for your patience.",
}

// disruptionNotice is the calm line shown while disruptions are open
// (empty when none): a centre-wide one says it all; otherwise one clause
// per cause, naming the counters by number. No blame, no alarm.
func disruptionNotice(ds []protocol.Disruption, counters []protocol.CounterState, lang string) string {
	if len(ds) == 0 {
		return ""
	}
	type clause struct {
		cause string
		ids   []string
	}
	var cs []clause
	if i := slices.IndexFunc(ds, func(d protocol.Disruption) bool { return len(d.CounterIDs) == 0 }); i >= 0 {
		cs = []clause{{cause: ds[i].Cause}}
	} else {
		for _, d := range ds {
			j := slices.IndexFunc(cs, func(c clause) bool { return c.cause == d.Cause })
			if j < 0 {
				cs = append(cs, clause{cause: d.Cause})
				j = len(cs) - 1
			}
			for _, id := range d.CounterIDs {
				if !slices.Contains(cs[j].ids, id) {
					cs[j].ids = append(cs[j].ids, id)
				}
			}
		}
	}
	number := func(id string) int {
		for _, c := range counters {
			if c.Counter.ID == id {
				return c.Counter.Number
			}
		}
		return 0
	}
	parts := make([]string, 0, len(cs))
	for i, c := range cs {
		w, ok := disruptionWhat[c.cause]
		if !ok {
			w = disruptionWhat["other"]
		}
		text := w[lang]
		var nums []int
		for _, id := range c.ids {
			if n := number(id); n > 0 {
				nums = append(nums, n)
			}
		}
		slices.Sort(nums)
		if len(nums) > 0 {
			strs := make([]string, len(nums))
			for k, n := range nums {
				strs[k] = strconv.Itoa(n)
			}
			list := strings.Join(strs, ", ")
			switch {
			case lang == protocol.LangVI:
				text += " tại quầy " + list
			case len(nums) > 1:
				text += " at counters " + list
			default:
				text += " at counter " + list
			}
		}
		if i > 0 && lang == protocol.LangEN {
			text = strings.ToLower(text[:1]) + text[1:] // later clauses continue the sentence
		}
		parts = append(parts, text)
	}
	return strings.Join(parts, "; ") + disruptionTail[lang]
}
