package view

import (
	"context"
	"reflect"
	"time"

	"fyne.io/fyne/v2"

	"github.com/civiq/civiq/server/protocol"
)

// Timing of the live board.
const (
	// BlinkEvery is the half-period of the newest call's blinking.
	BlinkEvery = 500 * time.Millisecond
	// AlternateEvery is how long each language stays on an alternating board.
	AlternateEvery = 12 * time.Second
	// scrollStep is how often the notice line moves.
	scrollStep = 50 * time.Millisecond
)

// Controller drives a Board: it keeps the latest board and connection state,
// starts the blinking of new calls, alternates the language and scrolls the
// notice. Its methods other than Run must be called on the Fyne thread.
type Controller struct {
	board *Board
	// langs are the languages shown in turn ("vi", or "vi" and "en").
	langs []string

	b          protocol.Board
	online     bool
	refused    bool
	storage    bool
	notices    []string
	drawn      bool
	flashUntil time.Time
	now        time.Time
	start      time.Time
}

// NewController returns a controller of board showing langs in turn
// (Vietnamese first).
func NewController(board *Board, langs []string, now time.Time) *Controller {
	if len(langs) == 0 {
		langs = []string{protocol.LangVI}
	}
	return &Controller{board: board, langs: langs, now: now, start: now}
}

// Update shows board b. A call event (ticket.called, ticket.recalled) makes
// the newest call blink for FlashFor; a snapshot does not, since its calls
// are old news to the hall.
func (c *Controller) Update(b protocol.Board, ev protocol.Event, online bool, now time.Time) {
	c.b, c.online, c.now = b, online, now
	if (ev.Type == protocol.EventTicketCalled || ev.Type == protocol.EventTicketRecalled) && len(b.Recent) > 0 {
		c.flashUntil = now.Add(FlashFor)
	}
	c.render()
}

// SetRefused shows whether the server refuses the display's token.
func (c *Controller) SetRefused(refused bool) {
	c.refused = refused
	c.render()
}

// SetStorageDown shows whether the server cannot save (its /healthz
// answers 503).
func (c *Controller) SetStorageDown(down bool) {
	c.storage = down
	c.render()
}

// SetNotices shows calm lines in the banner strip (none: nil), in the
// language they are given in.
func (c *Controller) SetNotices(notices []string) {
	c.notices = notices
	c.render()
}

// Tick advances the clock, the blinking, the language and the pages.
func (c *Controller) Tick(now time.Time) {
	c.now = now
	c.render()
}

// lang returns the language shown now.
func (c *Controller) lang() string {
	i := int(c.now.Sub(c.start)/AlternateEvery) % len(c.langs)
	if i < 0 {
		i = 0
	}
	return c.langs[i]
}

func (c *Controller) render() {
	on := (c.now.Sub(c.flashUntil.Add(-FlashFor))/BlinkEvery)%2 == 0
	m := Build(c.b, Input{Lang: c.lang(), Now: c.now, Online: c.online, Refused: c.refused, StorageDown: c.storage, Notices: c.notices,
		FlashUntil: c.flashUntil, FlashOn: on, Page: int(c.now.Sub(c.start) / PageEvery)})
	// Most ticks change nothing visible (the clock shows minutes): a
	// rebuild would re-rasterise every text for nothing.
	if c.drawn && reflect.DeepEqual(m, c.board.Model()) {
		return
	}
	c.drawn = true
	c.board.Set(m)
}

// Run ticks the controller and scrolls the notice until ctx ends, through
// fyne.Do, so it may run on any goroutine.
func (c *Controller) Run(ctx context.Context, clock func() time.Time, pxPerSecond float32) {
	tick := time.NewTicker(BlinkEvery)
	defer tick.Stop()
	scroll := time.NewTicker(scrollStep)
	defer scroll.Stop()
	step := pxPerSecond * float32(scrollStep.Seconds())
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
			now := clock()
			fyne.Do(func() { c.Tick(now) })
		case <-scroll.C:
			fyne.Do(func() { c.board.Scroll(step) })
		}
	}
}
