// Package view turns a board into what the hall display shows (Model, a
// pure function tested with tables) and draws it with Fyne (Board).
package view

import (
	"fmt"
	"sort"
	"time"
	// The centre's time zone must load on a mini PC without a zoneinfo
	// database (Windows, a minimal Linux image): the clock on the wall
	// must be local time.
	_ "time/tzdata"

	"github.com/civiq/civiq/server/protocol"
)

// RecentShown is how many recent calls the board lists beside the newest.
const RecentShown = 7

// FlashFor is how long the newest call blinks after it is called.
const FlashFor = 8 * time.Second

// PageEvery is how long each page of counters or waiting rows stays when
// they do not all fit at a readable size.
const PageEvery = 9 * time.Second

// Kinds of banner, most urgent first.
const (
	// BannerAlert: the display has lost the server or is refused (red).
	BannerAlert = "alert"
	// BannerWarn: the server is up but something is wrong there, e.g. it
	// cannot save (amber).
	BannerWarn = "warn"
	// BannerNotice: a calm line of information for the hall (blue).
	BannerNotice = "notice"
)

// Banner is one line of the banner strip, the band under the header that
// the board makes room for (it never covers the board).
type Banner struct {
	Kind string
	Text string
}

// Tile is one counter on the board.
type Tile struct {
	// Number is the counter number ("5"); Label its name ("Quầy 5").
	Number string
	Label  string
	// Code is the ticket served there ("A012"), or "—" when none.
	Code string
	// Paused is true for a counter whose clerk paused it.
	Paused bool
	// Newest marks the counter of the newest call.
	Newest bool
}

// Row is one line of a list: recent calls ("A012" → "Quầy 5") or waiting
// counts ("Đất đai" → "3").
type Row struct {
	Left, Right string
	// Recall marks a recalled ticket.
	Recall bool
}

// Model is everything one frame of the board shows, in one language.
type Model struct {
	Lang  string
	Title string
	Date  string
	Clock string
	// Banners are the lines of the banner strip, most urgent first;
	// none while all is well.
	Banners []Banner
	// Page counts PageEvery periods: the board shows page Page mod n of
	// counters or waiting rows that need n pages.
	Page int

	// Hero is the newest call: its ticket code and counter; empty before any call.
	HeroCaption string // "Mời công dân có số" or "Xin nhắc lại" on a recall
	HeroCode    string
	HeroCounter string // "Quầy 5"
	// Flash is true while the newest call blinks.
	Flash bool

	CountersTitle string
	Tiles         []Tile
	RecentTitle   string
	Recent        []Row
	WaitingTitle  string
	Waiting       []Row
	Notice        string
	// Empty is shown in place of the tiles when no counter is open.
	Empty string
}

// Strings of the board in both languages (Vietnamese first).
var labels = map[string]map[string]string{
	protocol.LangVI: {
		"counter": "Quầy %d", "calling": "Mời công dân có số", "recall": "Xin nhắc lại số",
		"counters": "Các quầy đang phục vụ", "recent": "Số vừa gọi", "waiting": "Đang chờ",
		"offline": "Mất kết nối máy chủ – đang kết nối lại…", "storage": "Máy chủ không lưu được dữ liệu – cần kỹ thuật viên kiểm tra", "refused": "Máy chủ từ chối mã của màn hình này – cần cấp mã mới (Quản trị → Thiết bị)", "none": "Chưa có quầy nào mở", "idle": "Xin chào!",
		"paused": "Tạm dừng", "title": "Trung tâm Phục vụ hành chính công",
	},
	protocol.LangEN: {
		"counter": "Counter %d", "calling": "Now serving number", "recall": "Calling again",
		"counters": "Counters serving", "recent": "Recent calls", "waiting": "Waiting",
		"offline": "Connection to the server lost – reconnecting…", "storage": "The server cannot save data – a technician must check it", "refused": "The server refuses this display's token – a new one is needed (Admin → Devices)", "none": "No counter is open", "idle": "Welcome!",
		"paused": "Paused", "title": "Public Administrative Service Centre",
	},
}

var weekdays = map[string][7]string{
	protocol.LangVI: {"Chủ nhật", "Thứ Hai", "Thứ Ba", "Thứ Tư", "Thứ Năm", "Thứ Sáu", "Thứ Bảy"},
	protocol.LangEN: {"Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"},
}

// Input is what Build needs besides the board.
type Input struct {
	// Lang is "vi" or "en".
	Lang string
	// Now is the time shown (in the centre's zone) and compared with FlashUntil.
	Now time.Time
	// Online is false while the display is disconnected.
	Online bool
	// Refused is true while the server refuses the display's token.
	Refused bool
	// FlashUntil is when the newest call stops blinking; FlashOn is the blink phase.
	FlashUntil time.Time
	FlashOn    bool
	// StorageDown is true while the server answers but cannot save
	// (GET /healthz answers 503).
	StorageDown bool
	// Notices are calm lines for the banner strip, in the language shown.
	Notices []string
	// Page is the page counter (see Model.Page).
	Page int
}

// Build returns the model of board b. It is a pure function.
func Build(b protocol.Board, in Input) Model {
	lang := in.Lang
	if lang != protocol.LangEN {
		lang = protocol.LangVI
	}
	L := labels[lang]
	now := in.Now
	if b.Centre != nil && b.Centre.TimeZone != "" {
		if loc, err := time.LoadLocation(b.Centre.TimeZone); err == nil {
			now = now.In(loc)
		}
	}
	m := Model{
		Lang:          lang,
		Title:         L["title"],
		Clock:         now.Format("15:04"),
		CountersTitle: L["counters"],
		RecentTitle:   L["recent"],
		WaitingTitle:  L["waiting"],
	}
	if lang == protocol.LangVI {
		m.Date = fmt.Sprintf("%s, %02d/%02d/%d", weekdays[lang][now.Weekday()], now.Day(), int(now.Month()), now.Year())
	} else {
		m.Date = fmt.Sprintf("%s, %s", weekdays[lang][now.Weekday()], now.Format("2 January 2006"))
	}
	if b.Centre != nil {
		if t := b.Centre.Name.In(lang); t != "" {
			m.Title = t
		}
		m.Notice = b.Centre.Notice.In(lang)
	}
	m.Page = in.Page
	switch {
	case in.Refused:
		m.Banners = append(m.Banners, Banner{Kind: BannerAlert, Text: L["refused"]})
	case !in.Online:
		m.Banners = append(m.Banners, Banner{Kind: BannerAlert, Text: L["offline"]})
	case in.StorageDown:
		// Known only while connected: offline, the health of a server
		// out of reach says nothing.
		m.Banners = append(m.Banners, Banner{Kind: BannerWarn, Text: L["storage"]})
	}
	// A disruption's calm notice (shared/DATA-OUT.md) comes from the board
	// itself, so it shows and goes with the events like everything else.
	for _, n := range append([]string{disruptionNotice(b.Disruptions, b.Counters, lang)}, in.Notices...) {
		if n != "" {
			m.Banners = append(m.Banners, Banner{Kind: BannerNotice, Text: n})
		}
	}
	counterLabel := func(c protocol.Counter) string {
		if c.Number > 0 {
			return fmt.Sprintf(L["counter"], c.Number)
		}
		return c.Name.In(lang)
	}

	newestCounter := ""
	if len(b.Recent) > 0 {
		c := b.Recent[0]
		newestCounter = c.Counter.ID
		m.HeroCode = c.Ticket.Code
		m.HeroCounter = counterLabel(c.Counter)
		m.HeroCaption = L["calling"]
		if c.Recall {
			m.HeroCaption = L["recall"]
		}
		m.Flash = in.Now.Before(in.FlashUntil) && in.FlashOn
	} else {
		m.HeroCaption = L["idle"]
	}

	for _, cs := range b.Counters {
		c := cs.Counter
		if c.Status == protocol.CounterClosed && cs.Current == nil {
			continue
		}
		t := Tile{Number: fmt.Sprint(c.Number), Label: counterLabel(c), Code: "—", Paused: c.Status == protocol.CounterPaused}
		if cs.Current != nil {
			t.Code = cs.Current.Code
		} else if t.Paused {
			t.Code = L["paused"]
		}
		t.Newest = c.ID == newestCounter && cs.Current != nil
		m.Tiles = append(m.Tiles, t)
	}
	if len(m.Tiles) == 0 {
		m.Empty = L["none"]
	}

	// The recent list starts after the newest call, which the hero shows.
	for i, c := range b.Recent {
		if i == 0 {
			continue
		}
		if len(m.Recent) == RecentShown {
			break
		}
		m.Recent = append(m.Recent, Row{Left: c.Ticket.Code, Right: counterLabel(c.Counter), Recall: c.Recall})
	}

	// Waiting per field, in the kiosk's order; fields the board does not
	// name are listed by id so that no waiting citizen goes uncounted.
	named := map[string]bool{}
	for _, s := range b.Services {
		named[s.ID] = true
		if !s.Enabled && b.Waiting[s.ID] == 0 {
			continue
		}
		m.Waiting = append(m.Waiting, Row{Left: s.Prefix + " · " + s.Name.In(lang), Right: fmt.Sprint(b.Waiting[s.ID])})
	}
	var extra []string
	for id := range b.Waiting {
		if !named[id] && b.Waiting[id] > 0 {
			extra = append(extra, id)
		}
	}
	sort.Strings(extra)
	for _, id := range extra {
		m.Waiting = append(m.Waiting, Row{Left: id, Right: fmt.Sprint(b.Waiting[id])})
	}
	return m
}
