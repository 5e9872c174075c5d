// Package issuer is the kiosk's logic without its screens: it issues tickets
// (online through the server, or offline from leased numbers kept in the
// spool), renders and prints them, keeps the field list fresh, reports the
// printer's state in heartbeats, refills leases and syncs offline tickets
// when the server is back. The ui package draws what it reports.
package issuer

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"image"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/civiq/civiq/kiosk/internal/printer"
	"github.com/civiq/civiq/kiosk/internal/spool"
	"github.com/civiq/civiq/kiosk/internal/ticket"
	"github.com/civiq/civiq/server/client"
	"github.com/civiq/civiq/server/protocol"
)

// Options configure a Kiosk.
type Options struct {
	Client  *client.Client
	Printer printer.Printer
	Spool   *spool.Spool
	// Width is the ticket width in dots (ticket.Width58mm or Width80mm).
	Width int
	// LeaseSize is how many offline numbers are kept per field and day.
	LeaseSize int
	// Poll is the field-list refresh interval while online (default 1s:
	// a change in /admin shows on the tiles within about a second).
	Poll time.Duration
	// Heartbeat is the heartbeat interval.
	Heartbeat time.Duration
	// MaxBackoff bounds the retry delay while the server is unreachable
	// (default 4s, so offline tickets sync a few seconds after the server
	// is back).
	MaxBackoff time.Duration
	// After is the timer the loop waits on (default time.After); tests
	// record the waits through it.
	After func(time.Duration) <-chan time.Time
	// IssueTimeout bounds an online issue before the kiosk falls back to
	// its leased numbers (default 2s).
	IssueTimeout time.Duration
	// Now is the clock (default time.Now).
	Now     func() time.Time
	Log     *slog.Logger
	Version string
}

// State is what the screens show besides the tickets.
type State struct {
	Centre   protocol.Centre
	Services []protocol.Service
	// Online is true while the server answers and can store what the
	// kiosk sends.
	Online bool
	// StorageDown is true while the server answers but cannot store (503
	// with code unavailable): the kiosk then issues from its leases
	// exactly as when the server is unreachable (Online is false).
	StorageDown bool
	// Known is false until the kiosk has a field list (from the server or
	// the spool).
	Known bool
	// Pending counts offline tickets not synced yet.
	Pending int
	// Printer is the printer's last known state; PrinterFault is the
	// reason printing fails now ("" when it works).
	Printer      printer.State
	PrinterFault printer.Reason
}

// Closed tells whether no field takes tickets now.
func (s State) Closed() bool {
	if !s.Known {
		return false
	}
	return !slices.ContainsFunc(s.Services, func(v protocol.Service) bool { return v.Open })
}

// Result is an issued ticket.
type Result struct {
	Ticket protocol.Ticket
	Field  protocol.Service
	// Offline is true when the ticket came from a lease.
	Offline bool
	// PrintErr is the printer's error; the ticket is issued all the same
	// and can be reprinted.
	PrintErr error
	img      image.Image
}

// Kiosk runs one kiosk. Its methods are safe for concurrent use.
type Kiosk struct {
	o   Options
	ren *ticket.Renderer

	mu       sync.Mutex
	st       State
	loc      *time.Location
	onChange func(State)
	kick     chan struct{} // wakes the loop (after a print fault or going offline)
}

// New returns a kiosk; call Run to keep it live.
func New(o Options) (*Kiosk, error) {
	if o.Client == nil || o.Printer == nil || o.Spool == nil {
		return nil, errors.New("app: client, printer and spool are required")
	}
	if o.Width == 0 {
		o.Width = ticket.Width58mm
	}
	if o.LeaseSize <= 0 {
		o.LeaseSize = 20
	}
	if o.Poll <= 0 {
		o.Poll = time.Second
	}
	if o.Heartbeat <= 0 {
		o.Heartbeat = 15 * time.Second
	}
	if o.MaxBackoff <= 0 {
		o.MaxBackoff = 4 * time.Second
	}
	if o.After == nil {
		o.After = time.After
	}
	if o.IssueTimeout <= 0 {
		o.IssueTimeout = 2 * time.Second
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	ren, err := ticket.NewRenderer()
	if err != nil {
		return nil, err
	}
	k := &Kiosk{o: o, ren: ren, kick: make(chan struct{}, 1), loc: time.Local}
	c, svcs := o.Spool.Cache()
	if len(svcs) > 0 {
		k.st.Centre, k.st.Services, k.st.Known = c, svcs, true
		k.loc = location(c)
	}
	k.st.Pending = len(o.Spool.Pending())
	return k, nil
}

func location(c protocol.Centre) *time.Location {
	if c.TimeZone != "" {
		if l, err := time.LoadLocation(c.TimeZone); err == nil {
			return l
		}
	}
	if l, err := time.LoadLocation("Asia/Ho_Chi_Minh"); err == nil {
		return l
	}
	return time.Local
}

// OnChange sets the function told about every state change. It is called
// from the kiosk's goroutines: UIs must hop to their own thread.
func (k *Kiosk) OnChange(fn func(State)) {
	k.mu.Lock()
	k.onChange = fn
	k.mu.Unlock()
}

// State returns the current state.
func (k *Kiosk) State() State {
	k.mu.Lock()
	defer k.mu.Unlock()
	st := k.st
	st.Services = slices.Clone(st.Services)
	return st
}

// update changes the state under the lock and tells the listener.
func (k *Kiosk) update(fn func(st *State)) {
	k.mu.Lock()
	fn(&k.st)
	st := k.st
	st.Services = slices.Clone(st.Services)
	cb := k.onChange
	k.mu.Unlock()
	if cb != nil {
		cb(st)
	}
}

// setOffline records that the server failed a request with err (one of
// client.IsUnreachable): unreachable, or up but unable to store.
func (k *Kiosk) setOffline(err error) {
	down := storageDown(err)
	k.update(func(st *State) { st.Online, st.StorageDown = false, down })
}

// storageDown tells whether err is the server's "cannot store now" (503
// unavailable), as opposed to an unreachable server or a proxy's 503.
func storageDown(err error) bool { return client.IsCode(err, protocol.CodeUnavailable) }

// SetFields replaces the centre and field list as a refresh would (tools
// and tests; the loop keeps them fresh from the server).
func (k *Kiosk) SetFields(c protocol.Centre, svcs []protocol.Service) {
	k.update(func(st *State) { st.Centre, st.Services, st.Known = c, slices.Clone(svcs), true })
}

// Kick makes the loop try the server now instead of at its next turn.
func (k *Kiosk) Kick() { k.wake() }

func (k *Kiosk) wake() {
	select {
	case k.kick <- struct{}{}:
	default:
	}
}

// Errors of Issue besides the server's refusals (*client.Error).
var (
	// ErrUnknownField is a field the kiosk does not know.
	ErrUnknownField = errors.New("app: unknown field")
	// ErrNoOfflineNumbers means the server is unreachable and no leased
	// number is left for the field.
	ErrNoOfflineNumbers = errors.New("app: server unreachable and no offline numbers left")
	// ErrFieldClosed is a field the last field list shows as not open.
	ErrFieldClosed = errors.New("app: field not taking tickets now")
)

func (k *Kiosk) field(id string) (protocol.Service, bool) {
	k.mu.Lock()
	defer k.mu.Unlock()
	i := slices.IndexFunc(k.st.Services, func(s protocol.Service) bool { return s.ID == id })
	if i < 0 {
		return protocol.Service{}, false
	}
	return k.st.Services[i], true
}

// OfflineLeft is how many leased numbers of field serviceID are left for
// today: what the kiosk can still issue there while offline.
func (k *Kiosk) OfflineLeft(serviceID string) int {
	k.mu.Lock()
	loc := k.loc
	k.mu.Unlock()
	return k.o.Spool.Available(serviceID, k.o.Now().In(loc).Format("2006-01-02"))
}

// Issue issues and prints a ticket of field serviceID. It tries the server
// first (unless it is known to be unreachable) and falls back to a leased
// number. A printer fault does not fail the issue: the result carries it.
func (k *Kiosk) Issue(ctx context.Context, serviceID string, priority bool, lang string) (Result, error) {
	return k.IssueWithCard(ctx, serviceID, priority, lang, nil)
}

// IssueWithCard is Issue for a citizen whose ID card was scanned in this
// turn: card (the number and birth year only) goes with the online issue,
// for the centre's per-person daily cap (refused with id_daily_cap). An
// offline ticket cannot be capped and does not carry it.
func (k *Kiosk) IssueWithCard(ctx context.Context, serviceID string, priority bool, lang string, card *protocol.IssueIDCard) (Result, error) {
	svc, ok := k.field(serviceID)
	if !ok {
		return Result{}, ErrUnknownField
	}
	if !svc.Open {
		// Closed (switched off, no counter serving it, outside the hours,
		// cap reached): no ticket nobody would call, online or offline.
		return Result{}, ErrFieldClosed
	}
	if lang != protocol.LangEN {
		lang = protocol.LangVI
	}
	res := Result{Field: svc}
	online := k.State().Online
	var err error
	var tried string // the Idempotency-Key of an online attempt that got no answer
	if online {
		key := rand.Text()
		ictx, cancel := context.WithTimeout(ctx, k.o.IssueTimeout)
		res.Ticket, err = k.o.Client.IssueTicket(ictx, protocol.IssueRequest{ServiceID: serviceID, Priority: priority, Lang: lang, IDCard: card}, key)
		cancel()
		if err != nil && (!client.IsUnreachable(err) || ctx.Err() != nil) {
			return Result{}, err // a refusal (closed, cap reached): nothing to fall back on
		}
		if err != nil {
			// The server may have stored the ticket and lost only the
			// answer: the offline ticket names this key so the sync
			// cancels that one, and the citizen queues once.
			tried = key
			k.o.Log.Warn("server unreachable, issuing offline", "err", err)
			k.setOffline(err)
			k.wake()
		}
	}
	if !online || err != nil {
		now := k.o.Now().In(k.loc)
		p, err := k.o.Spool.Take(serviceID, now.Format("2006-01-02"), priority, lang, now, tried)
		if errors.Is(err, spool.ErrNoNumbers) {
			return Result{}, ErrNoOfflineNumbers
		} else if err != nil {
			return Result{}, err
		}
		res.Offline = true
		res.Ticket = protocol.Ticket{
			Code: p.Code, Number: p.Number, ServiceID: serviceID, Status: protocol.StatusWaiting, Priority: priority,
			IssuedAt: now, Token: p.Token, TrackURL: p.TrackURL, Day: p.Day, Lang: lang, Offline: true,
			Ahead: -1, ETASeconds: -1,
		}
		n := len(k.o.Spool.Pending())
		k.update(func(st *State) { st.Pending = n })
	}
	res.img, err = k.render(res)
	if err != nil {
		return res, err
	}
	res.PrintErr = k.print(ctx, res)
	return res, nil
}

func (k *Kiosk) render(r Result) (image.Image, error) {
	st := k.State()
	_, width := k.Printer()
	l := ticket.FromTicket(r.Ticket, st.Centre.Name.In(r.Ticket.Lang), r.Field.Name.In(r.Ticket.Lang), width, k.loc)
	if r.Offline {
		// Nobody knows the queue while offline: the lines are left out.
		l.Ahead, l.WaitMinutes = ticket.Unknown, ticket.Unknown
	}
	img, err := k.ren.Render(l)
	if err != nil {
		return nil, fmt.Errorf("app: render %s: %w", r.Ticket.Code, err)
	}
	return printer.Labelled{Image: img, Label: r.Ticket.Code}, nil
}

// Printer is the printer and the ticket width in use.
func (k *Kiosk) Printer() (printer.Printer, int) {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.o.Printer, k.o.Width
}

// SetPrinter replaces the printer and the ticket width (ticket.Width58mm
// or Width80mm), as the maintenance screen's printer setup does, and
// closes the old printer. A job printing on the old one fails and is
// reprinted on the new one.
func (k *Kiosk) SetPrinter(p printer.Printer, width int) {
	k.mu.Lock()
	old := k.o.Printer
	k.o.Printer, k.o.Width = p, width
	k.mu.Unlock()
	if old != nil && old != p {
		_ = old.Close()
	}
	k.update(func(st *State) { st.PrinterFault = "" })
}

// print prints r and records the printer's condition.
func (k *Kiosk) print(ctx context.Context, r Result) error {
	pctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	pr, _ := k.Printer()
	err := pr.Print(pctx, r.img)
	reason := printer.ReasonOf(err)
	if err != nil && reason == "" {
		reason = printer.ReasonError
	}
	k.update(func(st *State) {
		st.PrinterFault = reason
		if err == nil && (st.Printer != printer.StatePaperLow) {
			st.Printer = printer.StateOK
		} else if err != nil {
			st.Printer = stateOf(reason)
		}
	})
	if err != nil {
		k.o.Log.Error("ticket not printed", "code", r.Ticket.Code, "err", err)
		k.wake() // tell the server soon
	}
	return err
}

// Reprint prints an issued ticket again (after the staff fixed the printer).
func (k *Kiosk) Reprint(ctx context.Context, r *Result) error {
	if r.img == nil {
		return errors.New("app: nothing to reprint")
	}
	r.PrintErr = k.print(ctx, *r)
	return r.PrintErr
}

// stateOf maps a printer fault to the heartbeat's printer field.
func stateOf(r printer.Reason) printer.State {
	switch r {
	case "":
		return printer.StateOK
	case printer.ReasonPaperOut:
		return printer.StatePaperOut
	case printer.ReasonCoverOpen:
		return printer.StateCoverOpen
	case printer.ReasonOffline, printer.ReasonTimeout, printer.ReasonUnreachable, printer.ReasonIO:
		return printer.StateOffline
	}
	return printer.StateError
}
