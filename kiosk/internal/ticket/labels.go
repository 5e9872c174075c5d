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
	issued   string
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
			issued:   "Issued",
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
		issued:   "Giờ lấy số",
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
