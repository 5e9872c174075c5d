package ui

import (
	"fmt"

	"github.com/civiq/civiq/kiosk/internal/printer"
	"github.com/civiq/civiq/server/protocol"
)

// words are the kiosk's texts in one language. Vietnamese comes first; the
// English is for foreigners and is switched per citizen.
type words struct {
	Choose, PriorityButton, PriorityTitle, Back, Waiting                                             string
	OutsideHours, DailyCap, Disabled, NoNumbers                                                      string
	ClosedTitle, ClosedText                                                                          string
	Online, Offline, Pending                                                                         string
	NotConnected, Connecting, Printing, YourNumber, Ahead, ETA, Soon, Take, OfflineNote, PriorityTag string
	PrinterFault, Remember, Reprint, Done, SwitchLang                                                string
	Range, TileETA                                                                                   string
	StorageDown, Page, PrevPage, NextPage, GroupCount                                                string
	ErrClosed, ErrNoOffline, ErrGeneric                                                              string
	LargeText, NormalText                                                                            string
	PriorityWho, PriorityProof                                                                       string
	PINTitle, PINWrong, PINLocked                                                                    string
	MaintTitle, MaintServer, MaintVersion, MaintPrint, MaintExit, MaintPrinted, MaintPrintFailed     string
	Listen, ListenPriority                                                                           string
	PrinterTitle, PrinterCurrent, PrinterKind, PrinterNet, PrinterDir, PrinterPaper, PrinterSave     string
	PrinterChoose, PrinterNetHint, PrinterDirHint, PrinterSaved, PrinterNotSaved                     string
}

var vi = words{
	Choose:           "Mời chọn lĩnh vực để lấy số thứ tự",
	PriorityButton:   "SỐ ƯU TIÊN: người cao tuổi, người khuyết tật,\nphụ nữ có thai, người có công",
	PriorityTitle:    "Số ưu tiên — mời chọn lĩnh vực",
	Back:             "◀  Quay lại  (0)",
	Waiting:          "Đang chờ: %d người",
	OutsideHours:     "Ngoài giờ làm việc",
	DailyCap:         "Đã hết số hôm nay",
	Disabled:         "Tạm ngừng tiếp nhận",
	NoNumbers:        "Tạm hết số (mất kết nối)",
	ClosedTitle:      "Trung tâm đang ngoài giờ làm việc",
	ClosedText:       "Xin mời quay lại trong giờ làm việc. Xin cảm ơn!",
	Online:           "Đã kết nối",
	Offline:          "Không kết nối được máy chủ — vẫn phát số",
	NotConnected:     "Chưa kết nối máy chủ",
	StorageDown:      "Máy chủ không lưu được dữ liệu — vẫn phát số",
	Page:             "Trang %d/%d",
	PrevPage:         "◀  Trang trước",
	NextPage:         "Trang sau  ▶",
	GroupCount:       "%d lĩnh vực",
	Pending:          "%d phiếu chờ gửi",
	Connecting:       "Đang kết nối máy chủ, xin chờ giây lát…",
	Printing:         "Đang in phiếu, xin chờ giây lát…",
	YourNumber:       "Số thứ tự của bạn",
	Ahead:            "Số người chờ trước bạn: %d",
	ETA:              "Thời gian chờ dự kiến: khoảng\u00a0%d\u00a0phút",
	Range:            " (thường\u00a0%d–%d\u00a0phút)",
	TileETA:          "Chờ khoảng %d phút",
	Soon:             "Sắp đến lượt bạn",
	Take:             "Mời nhận phiếu bên dưới",
	OfflineNote:      "Phiếu phát khi mất kết nối — số của bạn vẫn được gọi theo thứ tự",
	PriorityTag:      "ƯU TIÊN",
	PrinterFault:     "Máy in gặp sự cố, vui lòng liên hệ cán bộ",
	Remember:         "Xin ghi nhớ số của bạn:",
	Reprint:          "In lại",
	Done:             "Xong  (0)",
	SwitchLang:       "English",
	ErrClosed:        "Lĩnh vực này hiện không nhận số",
	ErrNoOffline:     "Mất kết nối và đã hết số dự phòng. Vui lòng liên hệ cán bộ",
	ErrGeneric:       "Chưa lấy được số. Xin thử lại hoặc liên hệ cán bộ",
	LargeText:        "Aa Chữ to",
	PINTitle:         "Nhập mã quản trị",
	PINWrong:         "Sai mã",
	PINLocked:        "Nhập sai quá nhiều lần — thử lại sau %d giây",
	MaintTitle:       "Bảo trì ki-ốt",
	MaintServer:      "Máy chủ: %s",
	MaintVersion:     "Phiên bản: %s",
	MaintPrint:       "In thử",
	MaintExit:        "Thoát ứng dụng",
	MaintPrinted:     "Đã in trang thử",
	MaintPrintFailed: "In thử không được",
	NormalText:       "Aa Chữ vừa",
	Listen:           "Nghe hướng dẫn",
	PrinterTitle:     "Cài đặt máy in",
	PrinterCurrent:   "Đang dùng: %s, giấy %d mm",
	PrinterKind:      "Máy in",
	PrinterNet:       "Mạng (tcp://)",
	PrinterDir:       "Thư mục (dir:)",
	PrinterPaper:     "Khổ giấy",
	PrinterSave:      "Lưu và dùng",
	PrinterChoose:    "Chọn một máy in",
	PrinterNetHint:   "Nhập địa chỉ máy in mạng, ví dụ 10.0.0.50:9100",
	PrinterDirHint:   "Nhập đường dẫn đầy đủ của thư mục, ví dụ /var/lib/civiq/tickets",
	PrinterSaved:     "Đã dùng %s, giấy %d mm; đã lưu vào %s",
	PrinterNotSaved:  "Đang dùng %s nhưng chưa lưu được (mất khi khởi động lại): %v",
	ListenPriority:   "Số ưu tiên cho người cao tuổi, người khuyết tật, phụ nữ có thai, người có công: bấm nút màu vàng, hoặc phím sao",
	PriorityWho:      "Dành cho người cao tuổi (từ 60 tuổi),\nngười khuyết tật, phụ nữ có thai,\nngười có công với cách mạng.",
	PriorityProof:    "Tại quầy, cán bộ có thể đề nghị xem giấy tờ\n(căn cước, thẻ người khuyết tật, giấy chứng nhận…).",
}

var en = words{
	Choose:           "Please choose a field to take a number",
	PriorityButton:   "PRIORITY: elderly, disabled, pregnant women,\npeople with meritorious service",
	PriorityTitle:    "Priority ticket — choose a field",
	Back:             "◀  Back  (0)",
	Waiting:          "Waiting: %d",
	OutsideHours:     "Outside opening hours",
	DailyCap:         "No more numbers today",
	Disabled:         "Not taking tickets now",
	NoNumbers:        "No numbers left (offline)",
	ClosedTitle:      "The centre is closed now",
	ClosedText:       "Please come back during opening hours. Thank you!",
	Online:           "Connected",
	Offline:          "Cannot reach the server — still issuing",
	NotConnected:     "Not connected to the server",
	StorageDown:      "The server cannot save data — still issuing",
	Page:             "Page %d/%d",
	PrevPage:         "◀  Previous",
	NextPage:         "Next  ▶",
	GroupCount:       "%d fields",
	Pending:          "%d tickets to send",
	Connecting:       "Connecting to the server, one moment…",
	Printing:         "Printing your ticket, one moment…",
	YourNumber:       "Your number",
	Ahead:            "People ahead of you: %d",
	ETA:              "Expected wait: about\u00a0%d\u00a0min",
	Range:            " (usually\u00a0%d–%d\u00a0min)",
	TileETA:          "Wait about %d min",
	Soon:             "You will be called soon",
	Take:             "Please take your ticket below",
	OfflineNote:      "Issued while offline — your number will be called in order",
	PriorityTag:      "PRIORITY",
	PrinterFault:     "The printer has a problem, please ask a staff member",
	Remember:         "Please remember your number:",
	Reprint:          "Print again",
	Done:             "Done  (0)",
	SwitchLang:       "Tiếng Việt",
	ErrClosed:        "This field is not taking numbers now",
	ErrNoOffline:     "Offline and no spare numbers left. Please ask a staff member",
	ErrGeneric:       "No number could be issued. Please try again or ask a staff member",
	LargeText:        "Aa Large text",
	PINTitle:         "Enter the admin PIN",
	PINWrong:         "Wrong PIN",
	PINLocked:        "Too many wrong PINs — try again in %d s",
	MaintTitle:       "Kiosk maintenance",
	MaintServer:      "Server: %s",
	MaintVersion:     "Version: %s",
	MaintPrint:       "Print a test page",
	MaintExit:        "Exit the application",
	MaintPrinted:     "Test page printed",
	MaintPrintFailed: "Test print failed",
	NormalText:       "Aa Normal",
	Listen:           "Listen",
	PrinterTitle:     "Printer setup",
	PrinterCurrent:   "In use: %s, %d mm paper",
	PrinterKind:      "Printer",
	PrinterNet:       "Network (tcp://)",
	PrinterDir:       "Folder (dir:)",
	PrinterPaper:     "Paper width",
	PrinterSave:      "Save and use",
	PrinterChoose:    "Choose a printer",
	PrinterNetHint:   "Type the network printer's address, e.g. 10.0.0.50:9100",
	PrinterDirHint:   "Type the folder's full path, e.g. /var/lib/civiq/tickets",
	PrinterSaved:     "Now using %s, %d mm paper; saved to %s",
	PrinterNotSaved:  "Now using %s but not saved (lost at restart): %v",
	ListenPriority:   "Priority tickets for the elderly, the disabled, pregnant women and people with meritorious service: press the yellow button, or the star key",
	PriorityWho:      "For older people (60 and over),\npeople with disabilities, pregnant women,\npeople with merit to the revolution.",
	PriorityProof:    "At the counter, staff may ask to see a paper\n(ID card, disability card, merit certificate…).",
}

func wordsFor(lang string) words {
	if lang == protocol.LangEN {
		return en
	}
	return vi
}

// reason is why a field is unavailable, in words: outside the hours and
// the daily cap say so; switched off, no counter serving it or a reason
// this kiosk does not know yet are "not taking tickets now".
func (w words) reason(s protocol.Service) string {
	switch s.ClosedReason {
	case protocol.ClosedDailyCap:
		return w.DailyCap
	case protocol.ClosedOutsideHours:
		return w.OutsideHours
	}
	return w.Disabled
}

func (w words) waiting(n int) string { return fmt.Sprintf(w.Waiting, n) }

// fault is the printer fault line: the fixed message and the reason.
func faultDetail(r printer.Reason, lang string) string {
	if r == "" {
		return ""
	}
	return r.Text(lang)
}
