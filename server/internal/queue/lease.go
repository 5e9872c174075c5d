package queue

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base32"
	"errors"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/civiq/civiq/server/protocol"
)

// Limits of offline issuing.
const (
	// MaxLeaseCount is the largest block one lease request may reserve.
	MaxLeaseCount = 200
	// MaxOfflineNumber bounds the offline range of a field and day, so a
	// kiosk stuck in a loop cannot lease without end.
	MaxOfflineNumber = protocol.OfflineBase + 20000
	// MaxSyncBatch is the most offline tickets one sync request may carry.
	MaxSyncBatch = 500
	// SyncClockSkew is how far in the future an offline ticket's issue time
	// may lie: kiosk clocks drift a little.
	SyncClockSkew = 2 * time.Minute
)

// LeaseRecord is a lease as stored.
type LeaseRecord struct {
	ID        string
	Issuer    string
	ServiceID string
	Prefix    string
	Day       string
	From, To  int
	CreatedAt time.Time
	ExpiresAt time.Time
}

// LeasedTicketID is the id a leased number's ticket will have once synced.
// It is derived from the store secret, so the server can hand out the
// ticket's token with the lease, before the ticket exists, and nobody can
// guess it; (field, day, number) is unique, so the id is too.
func LeasedTicketID(secret []byte, serviceID, day string, number int) string {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte("leased-ticket:" + serviceID + "|" + day + "|" + strconv.Itoa(number)))
	return strings.ToLower(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(m.Sum(nil)[:16]))
}

var dayPattern = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}$`)

// dayEnd is the local midnight that ends day.
func dayEnd(day string, loc *time.Location) (time.Time, error) {
	d, err := time.ParseInLocation("2006-01-02", day, loc)
	if err != nil {
		return time.Time{}, err
	}
	return time.Date(d.Year(), d.Month(), d.Day()+1, 0, 0, 0, 0, loc), nil
}

// Lease reserves a block of offline numbers for the kiosk issuer. Leases
// are allowed for today and tomorrow, so a kiosk that loses the server in
// the evening can still issue the next morning.
func (e *Engine) Lease(ctx context.Context, issuer string, req protocol.LeaseRequest) (protocol.Lease, error) {
	if req.ServiceID == "" {
		return protocol.Lease{}, Errorf(protocol.CodeBadRequest, "service_id is required")
	}
	if req.Count < 1 || req.Count > MaxLeaseCount {
		return protocol.Lease{}, Errorf(protocol.CodeBadRequest, "count must be between 1 and %d", MaxLeaseCount)
	}
	now := e.now()
	today := Day(now, e.opts.Location)
	tomorrow := Day(time.Date(now.Year(), now.Month(), now.Day()+1, 12, 0, 0, 0, e.opts.Location), e.opts.Location)
	switch {
	case req.Day == "":
		req.Day = today
	case !dayPattern.MatchString(req.Day):
		return protocol.Lease{}, Errorf(protocol.CodeBadRequest, "day must be YYYY-MM-DD")
	case req.Day != today && req.Day != tomorrow:
		return protocol.Lease{}, Errorf(protocol.CodeUnprocessable, "leases are for today (%s) or tomorrow (%s)", today, tomorrow)
	}
	end, err := dayEnd(req.Day, e.opts.Location)
	if err != nil {
		return protocol.Lease{}, Errorf(protocol.CodeBadRequest, "day must be a real date")
	}
	var rec LeaseRecord
	var secret []byte
	_, err = e.store.Update(ctx, func(tx Tx) error {
		svc, err := tx.Service(req.ServiceID)
		if IsNotFound(err) {
			return Errorf(protocol.CodeNotFound, "unknown service %q", req.ServiceID)
		} else if err != nil {
			return err
		}
		last, err := tx.NextLeaseBlock(svc.ID, req.Day, req.Count)
		if err != nil {
			return err
		}
		if last > MaxOfflineNumber {
			return Errorf(protocol.CodeConflict, "the offline numbers of %s for %s are used up", svc.Name.Vi, req.Day)
		}
		rec = LeaseRecord{
			ID: strings.ToLower(rand.Text()), Issuer: issuer, ServiceID: svc.ID, Prefix: svc.Prefix, Day: req.Day,
			From: last - req.Count + 1, To: last, CreatedAt: now, ExpiresAt: end,
		}
		secret = tx.Secret()
		return tx.InsertLease(rec)
	})
	if err != nil {
		return protocol.Lease{}, err
	}
	l := protocol.Lease{ID: rec.ID, ServiceID: rec.ServiceID, Prefix: rec.Prefix, Day: rec.Day, From: rec.From, To: rec.To,
		CreatedAt: rec.CreatedAt, ExpiresAt: rec.ExpiresAt, Tickets: make([]protocol.LeasedTicket, 0, req.Count)}
	for n := rec.From; n <= rec.To; n++ {
		id := LeasedTicketID(secret, rec.ServiceID, rec.Day, n)
		l.Tickets = append(l.Tickets, protocol.LeasedTicket{Number: n, Code: FormatCode(rec.Prefix, n), Token: TicketToken(secret, id)})
	}
	return l, nil
}

// SyncResult is the outcome of one offline ticket, with its token when it
// is stored.
type SyncResult struct {
	protocol.SyncResult
	Token string
}

// Sync takes in tickets the kiosk issuer printed from its leases while the
// server was unreachable. Each is checked on its own (a bad one does not
// spoil the batch); all good ones are stored in one transaction, in issue
// time order, and enter the queue by issue time. A ticket synced before is
// returned again, never stored twice.
func (e *Engine) Sync(ctx context.Context, issuer string, items []protocol.OfflineTicket) ([]SyncResult, error) {
	if len(items) == 0 || len(items) > MaxSyncBatch {
		return nil, Errorf(protocol.CodeBadRequest, "send between 1 and %d tickets", MaxSyncBatch)
	}
	// Stored in issue-time order, so events (and equal-time ties) follow it.
	order := make([]int, len(items))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int { return items[a].IssuedAt.Compare(items[b].IssuedAt) })

	var out []SyncResult
	var secret []byte
	_, err := e.store.Update(ctx, func(tx Tx) error {
		out = make([]SyncResult, len(items))
		secret = tx.Secret()
		now := e.now()
		today := Day(now, e.opts.Location)
		leases := map[string]LeaseRecord{}
		for _, i := range order {
			it := items[i]
			out[i].LeaseID, out[i].Number = it.LeaseID, it.Number
			rec, replayed, err := e.syncOne(tx, leases, issuer, it, now, today)
			if err != nil {
				var qe *Error
				if !errors.As(err, &qe) {
					return err // storage failure: the whole batch is retried
				}
				out[i].Error = &protocol.ErrorBody{Code: qe.Code, Message: qe.Message}
				continue
			}
			out[i].Replayed = replayed
			t := rec.Ticket
			out[i].Ticket = &t
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	for i := range out {
		if out[i].Ticket != nil {
			v := e.view(TicketRecord{Ticket: *out[i].Ticket})
			out[i].Ticket = &v
			out[i].Token = TicketToken(secret, v.ID)
		}
	}
	return out, nil
}

func (e *Engine) syncOne(tx Tx, leases map[string]LeaseRecord, issuer string, it protocol.OfflineTicket, now time.Time, today string) (TicketRecord, bool, error) {
	l, ok := leases[it.LeaseID]
	if !ok {
		var err error
		l, err = tx.Lease(it.LeaseID)
		if IsNotFound(err) || err == nil && l.Issuer != issuer {
			// Another kiosk's lease is answered like an unknown one.
			return TicketRecord{}, false, Errorf(protocol.CodeNotFound, "unknown lease %q", it.LeaseID)
		} else if err != nil {
			return TicketRecord{}, false, err
		}
		leases[it.LeaseID] = l
	}
	lang := it.Lang
	switch lang {
	case "":
		lang = protocol.LangVI
	case protocol.LangVI, protocol.LangEN:
	default:
		return TicketRecord{}, false, Errorf(protocol.CodeBadRequest, "lang must be \"vi\" or \"en\"")
	}
	if len(it.Replaces) > maxIdemKeyLen || !utf8.ValidString(it.Replaces) {
		return TicketRecord{}, false, Errorf(protocol.CodeBadRequest, "replaces is longer than %d bytes or not UTF-8", maxIdemKeyLen)
	}
	if it.Number < l.From || it.Number > l.To {
		return TicketRecord{}, false, Errorf(protocol.CodeUnprocessable, "number %d is not in lease %s (%d–%d)", it.Number, l.ID, l.From, l.To)
	}
	issued := it.IssuedAt.In(e.opts.Location).Truncate(time.Microsecond)
	switch {
	case it.IssuedAt.IsZero():
		return TicketRecord{}, false, Errorf(protocol.CodeBadRequest, "issued_at is required")
	case Day(issued, e.opts.Location) != l.Day:
		return TicketRecord{}, false, Errorf(protocol.CodeUnprocessable, "issued_at %s is not on the lease's day %s", issued.Format(time.RFC3339), l.Day)
	case issued.After(now.Add(SyncClockSkew)):
		return TicketRecord{}, false, Errorf(protocol.CodeUnprocessable, "issued_at %s is in the future", issued.Format(time.RFC3339))
	case issued.Before(l.CreatedAt.Add(-SyncClockSkew)):
		return TicketRecord{}, false, Errorf(protocol.CodeUnprocessable, "issued_at %s is before the lease was granted", issued.Format(time.RFC3339))
	}
	old, err := tx.TicketByNumber(l.ServiceID, l.Day, it.Number)
	switch {
	case err == nil:
		if old.Priority != it.Priority || !old.IssuedAt.Equal(issued) {
			return TicketRecord{}, false, Errorf(protocol.CodeConflict, "%s was synced before with other details", old.Code)
		}
		return old, true, nil
	case !IsNotFound(err):
		return TicketRecord{}, false, err
	}
	id := LeasedTicketID(tx.Secret(), l.ServiceID, l.Day, it.Number)
	rec := TicketRecord{
		Ticket: protocol.Ticket{
			ID: id, Code: FormatCode(l.Prefix, it.Number), Number: it.Number, ServiceID: l.ServiceID,
			Status: protocol.StatusWaiting, Priority: it.Priority, IssuedAt: issued, Day: l.Day, Lang: lang, Offline: true,
		},
		IssueServiceID: l.ServiceID,
		TokenHash:      HashToken(TicketToken(tx.Secret(), id)),
		IssuedBy:       issuer,
	}
	if l.Day < today {
		// The day is over: the ticket is kept for the record but no longer
		// queues (housekeeping would cancel it anyway).
		rec.Status, rec.FinishedAt = protocol.StatusCancelled, &now
	}
	if err := tx.InsertTicket(rec); err != nil {
		return TicketRecord{}, false, err
	}
	if err := tx.AppendEvent(protocol.EventTicketIssued, now, e.public(rec)); err != nil {
		return TicketRecord{}, false, err
	}
	return rec, false, e.cancelReplaced(tx, issuer, it.Replaces, now)
}

// cancelReplaced cancels the ticket issuer asked for online with
// Idempotency-Key key, if the server stored it and it still waits: the
// kiosk timed out on that request and printed an offline ticket instead.
// A ticket already called is left alone (it was served or will be marked a
// no-show); none stored means the request never arrived.
func (e *Engine) cancelReplaced(tx Tx, issuer, key string, now time.Time) error {
	if key == "" {
		return nil
	}
	old, err := tx.TicketByIdemKey(issuer, key)
	if IsNotFound(err) {
		return nil
	} else if err != nil {
		return err
	}
	if old.Status != protocol.StatusWaiting {
		return nil
	}
	old.Status, old.FinishedAt = protocol.StatusCancelled, &now
	if err := tx.UpdateTicket(old); err != nil {
		return err
	}
	return tx.AppendEvent(protocol.EventTicketCancelled, now, e.public(old))
}
