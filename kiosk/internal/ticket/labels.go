package ticket

import "fmt"

// Languages of the labels; the same strings as protocol.LangVI and LangEN
// (not imported: this package depends on nothing but fonts and codes).
const (
	langVI = "vi"
	langEN = "en"
)

// labels are the fixed words on a ticket in one language.
type labels struct {
	field    string
	number   string
	priority string
	offline  string
	ahead    string
	wait     string
	usually  string
	issued   string
	slot     string
	scanNote string
	callNote string
}

// labelsFor returns the labels of lang. A function, not a package-level map,
// so that nothing in the package is mutable.
func labelsFor(lang string) labels {
	if lang == langEN {
		return labels{
			field:    "Service",
			number:   "YOUR NUMBER",
			priority: "PRIORITY",
			offline:  "OFFLINE",
			ahead:    "People ahead",
			wait:     "Estimated wait",
			usually:  "Usually",
			issued:   "Issued",
			slot:     "Booked for",
			scanNote: "Scan the QR code to follow your turn",
			callNote: "Please wait for your number on the screen",
		}
	}
	return labels{
		field:    "Lĩnh vực",
		number:   "SỐ THỨ TỰ CỦA BẠN",
		priority: "ƯU TIÊN",
		offline:  "NGOẠI TUYẾN",
		ahead:    "Số người chờ trước",
		wait:     "Thời gian chờ",
		usually:  "Thường",
		issued:   "Giờ lấy số",
		slot:     "Lịch hẹn",
		scanNote: "Quét mã QR để theo dõi lượt của bạn",
		callNote: "Vui lòng chờ gọi số trên màn hình",
	}
}

// waitText says how long the wait is expected to be, rounded the way people
// say it: "< 1 phút", "khoảng 25 phút", "khoảng 1 giờ 10 phút".
func waitText(lang string, minutes int) string {
	vi := lang != langEN
	switch {
	case minutes < 1 && vi:
		return "dưới 1 phút"
	case minutes < 1:
		return "under 1 min"
	case minutes < 60 && vi:
		return fmt.Sprintf("khoảng %d phút", minutes)
	case minutes < 60:
		return fmt.Sprintf("about %d min", minutes)
	}
	h, m := minutes/60, minutes%60
	switch {
	case vi && m == 0:
		return fmt.Sprintf("khoảng %d giờ", h)
	case vi:
		return fmt.Sprintf("khoảng %d giờ %d phút", h, m)
	case m == 0:
		return fmt.Sprintf("about %d h", h)
	default:
		return fmt.Sprintf("about %d h %d min", h, m)
	}
}

// timeLayout prints "28/11/2026 15:04", the day-first order used in Vietnam
// (and understood by English-speaking visitors on a Vietnamese ticket).
const timeLayout = "02/01/2006 15:04"

// rangeText says the range most citizens are called in: "6–21 phút",
// "dưới 9 phút", "40 phút – 2 giờ".
func rangeText(lang string, lo, hi int) string {
	vi := lang != langEN
	span := func(m int) string {
		h, mm := m/60, m%60
		switch {
		case h == 0 && vi:
			return fmt.Sprintf("%d phút", m)
		case h == 0:
			return fmt.Sprintf("%d min", m)
		case mm == 0 && vi:
			return fmt.Sprintf("%d giờ", h)
		case mm == 0:
			return fmt.Sprintf("%d h", h)
		case vi:
			return fmt.Sprintf("%d giờ %d phút", h, mm)
		}
		return fmt.Sprintf("%d h %d min", h, mm)
	}
	switch {
	case lo < 1 && vi:
		return "dưới " + span(hi)
	case lo < 1:
		return "under " + span(hi)
	case hi < 60 && vi:
		return fmt.Sprintf("%d–%d phút", lo, hi)
	case hi < 60:
		return fmt.Sprintf("%d–%d min", lo, hi)
	}
	return span(lo) + " – " + span(hi)
}
