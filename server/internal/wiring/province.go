package wiring

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net/http"
	"sort"
	"strings"
	"sync"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/civiq/civiq/assets"
	"github.com/civiq/civiq/server/internal/auth"
	"github.com/civiq/civiq/server/internal/config"
	"github.com/civiq/civiq/server/internal/httpapi"
	"github.com/civiq/civiq/server/internal/province"
	"github.com/civiq/civiq/server/internal/queue"
	"github.com/civiq/civiq/server/internal/store/postgres"
	"github.com/civiq/civiq/server/protocol"
)

// Province serves every centre of a province from one process
// (docs/ARCHITECTURE.md, "Multi-site"): the default centre (the database's
// public schema, an App opened by Open) on the unprefixed paths, and each
// centre of the registry, an App on its own schema, under /c/{id}/. It
// starts a centre when the registry lists it, also one another instance
// created (read every ProvincePoll).
type Province struct {
	Default *App
	Service *province.Service
	API     *httpapi.Province

	cfg   config.Config
	log   *slog.Logger
	opts  Options
	store *postgres.Province

	syncMu   sync.Mutex // one sync at a time, so the last one's reading wins
	mu       sync.Mutex
	apps     map[string]*centreApp
	disabled map[string]province.Centre // out of service, by id (the last sync)
	starting map[string]bool            // ids being started or created here

	cancel context.CancelFunc
	wg     sync.WaitGroup
}

type centreApp struct {
	centre province.Centre
	app    *App
}

// OpenProvince opens the province registry in cfg.DB, creates the first
// province admin when there is none (password cfg.ProvincePassword or a
// random one printed to opts.Stdout), starts every registered centre and
// keeps following the registry. def is the default centre (Open with the
// same cfg); Close closes it too.
func OpenProvince(ctx context.Context, cfg config.Config, log *slog.Logger, def *App, opts Options) (*Province, error) {
	if cfg.DB == "" {
		return nil, errors.New("the province needs --db postgres://…")
	}
	if opts.Clock == nil {
		opts.Clock = queue.SystemClock{}
	}
	if opts.Stdout == nil {
		opts.Stdout = io.Discard
	}
	ps, err := postgres.OpenProvince(ctx, cfg.DB)
	if err != nil {
		return nil, err
	}
	p := &Province{Default: def, cfg: cfg, log: log, opts: opts, store: ps,
		apps: map[string]*centreApp{}, starting: map[string]bool{}, disabled: map[string]province.Centre{}}
	p.Service = province.New(ps, opts.Clock, opts.SessionTTL, opts.BcryptCost)
	if err := p.bootstrap(ctx); err != nil {
		ps.Close()
		return nil, err
	}
	def.Auth.SetOutside(province.TokenPrefix, p.outside, p.Service.Valid)
	web, err := fs.Sub(assets.FS, "web")
	if err != nil {
		ps.Close()
		return nil, err
	}
	p.API = httpapi.NewProvince(p.Service, p, opts.Clock, log, httpapi.ProvinceOptions{
		TrustProxy: cfg.TrustProxy, LoginPerMinute: cfg.LoginPerMinute, Web: web, StorageError: postgres.StorageError, SharedLimits: ps})
	if err := p.sync(ctx); err != nil {
		p.closeCentres()
		ps.Close()
		return nil, err
	}
	bg, cancel := context.WithCancel(context.WithoutCancel(ctx))
	p.cancel = cancel
	p.wg.Add(1)
	go func() { defer p.wg.Done(); p.follow(bg) }()
	return p, nil
}

// bootstrap creates the first province admin, "province".
func (p *Province) bootstrap(ctx context.Context) error {
	if _, err := p.store.UserByName(ctx, "province"); err == nil {
		return nil
	} else if !queue.IsNotFound(err) {
		return err
	}
	pw := p.cfg.ProvincePassword
	printed := pw == ""
	if printed {
		pw = RandomPassword()
	}
	_, err := p.Service.CreateUser(ctx, "province", "Quản trị tỉnh", province.RoleAdmin, pw)
	if queue.CodeOf(err) == protocol.CodeConflict {
		return nil // another instance created it meanwhile
	} else if err != nil {
		return fmt.Errorf("province admin: %w", err)
	}
	if printed {
		fmt.Fprintf(p.opts.Stdout, "created province user province   role province_admin password %s   (shown once)\n", pw)
	} else {
		fmt.Fprintf(p.opts.Stdout, "created province user province   role province_admin password from CIVIQ_PROVINCE_PASSWORD\n")
	}
	return nil
}

// outside resolves a province token inside a centre.
func (p *Province) outside(ctx context.Context, tok string) (auth.Principal, error) {
	pr, err := p.Service.Authenticate(ctx, tok)
	if err != nil {
		return auth.Principal{}, err
	}
	return httpapi.ProvincePrincipal(pr, tok), nil
}

// follow reads the registry every ProvincePoll and starts new centres,
// and deletes the province sessions that ended once an hour.
func (p *Province) follow(ctx context.Context) {
	t := time.NewTicker(p.cfg.ProvincePoll)
	defer t.Stop()
	var pruned time.Time
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if now := time.Now(); now.Sub(pruned) > time.Hour {
			pruned = now
			if err := p.store.DeleteExpiredSessions(ctx, now); err != nil && ctx.Err() == nil {
				p.log.Warn("deleting expired province sessions", "err", err)
			}
		}
		if err := p.sync(ctx); err != nil && ctx.Err() == nil {
			p.log.Warn("province registry", "err", err)
		}
	}
}

// sync starts every listed centre not served yet, stops those taken out
// of service, and closes those deleted (no longer in the registry, or
// listed with another creation time: deleted and created again, served
// anew from their new schema).
func (p *Province) sync(ctx context.Context) error {
	p.syncMu.Lock()
	defer p.syncMu.Unlock()
	// The centres served before the registry is read: one created here
	// meanwhile is listed only after it was served (CreateCentre), so
	// its absence from this reading is no deletion.
	p.mu.Lock()
	before := map[string]*centreApp{}
	for id, a := range p.apps {
		before[id] = a
	}
	p.mu.Unlock()
	cs, err := p.store.Centres(ctx)
	if err != nil {
		return err
	}
	listed := map[string]province.Centre{}
	for _, c := range cs {
		listed[c.ID] = c
	}
	var stop, gone []*centreApp
	p.mu.Lock()
	clear(p.disabled)
	for id, a := range p.apps {
		c, ok := listed[id]
		switch {
		case !ok || !sameCentre(c, a.centre):
			if before[id] == a {
				gone = append(gone, a)
				delete(p.apps, id)
			}
		case c.Disabled:
			stop = append(stop, a)
			delete(p.apps, id)
		default:
			a.centre = c // a new name
		}
	}
	for _, c := range cs {
		if c.Disabled {
			p.disabled[c.ID] = c
		}
	}
	p.mu.Unlock()
	for _, a := range stop {
		if err := a.app.Close(); err != nil {
			p.log.Warn("closing centre", "centre", a.centre.ID, "err", err)
		}
		p.log.Info("centre out of service", "centre", a.centre.ID)
	}
	for _, a := range gone {
		if err := a.app.closeDeleted(); err != nil {
			p.log.Warn("closing centre", "centre", a.centre.ID, "err", err)
		}
		p.log.Info("centre deleted: no longer served", "centre", a.centre.ID)
	}
	var errs []error
	for _, c := range cs {
		if c.Disabled {
			continue
		}
		if !p.claim(c.ID) {
			continue
		}
		a, err := p.startCentre(ctx, c, "")
		p.settle(c, a, err)
		if err != nil {
			errs = append(errs, fmt.Errorf("centre %s: %w", c.ID, err))
			continue
		}
		p.log.Info("serving centre", "centre", c.ID, "path", "/c/"+c.ID+"/")
	}
	return errors.Join(errs...)
}

// sameCentre reports whether a registry entry is the one a running centre
// was started from: the same id and creation time (to the registry's
// microsecond; a creation here keeps the caller's nanoseconds).
func sameCentre(listed, running province.Centre) bool {
	return listed.ID == running.ID && listed.Created.Sub(running.Created).Abs() < time.Millisecond
}

// claim marks the centre id as being started here, unless it is served or
// being started already (false then).
func (p *Province) claim(id string) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.apps[id] != nil || p.starting[id] {
		return false
	}
	p.starting[id] = true
	return true
}

// settle ends a start that claim began: when err is nil, a serves c from
// now on.
func (p *Province) settle(c province.Centre, a *App, err error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	delete(p.starting, c.ID)
	if err == nil {
		p.apps[c.ID] = &centreApp{centre: c, app: a}
	}
}

// startCentre opens a centre's schema and runs an App on it. adminPassword
// is the first admin's password when the centre is new (bootstrap).
func (p *Province) startCentre(ctx context.Context, c province.Centre, adminPassword string) (*App, error) {
	log := p.log.With("centre", c.ID)
	// A centre of the registry (not created here) must have its schema
	// already: one deleted meanwhile is not made again.
	st, err := postgres.Open(ctx, p.cfg.DB, postgres.Options{Log: log, Schema: province.SchemaOf(c.ID), Existing: adminPassword == ""})
	if err != nil {
		return nil, err
	}
	cfg := p.cfg
	cfg.AdminPassword, cfg.CentreFile, cfg.DemoHistory = adminPassword, "", 0
	if adminPassword == "" {
		// A centre another instance created is bootstrapped already; a
		// random password here is never used.
		cfg.AdminPassword = RandomPassword()
	}
	o := p.opts
	o.Stdout = io.Discard
	o.APIOptions.BasePath = "/c/" + c.ID
	def := &config.Centre{Name: protocol.Text{Vi: c.Name, En: c.Name}, TimeZone: c.TimeZone}
	a, err := start(ctx, cfg, log, o, def, st)
	if err != nil {
		return nil, err
	}
	a.Auth.SetOutside(province.TokenPrefix, p.outside, p.Service.Valid)
	return a, nil
}

// CreateCentre implements httpapi.ProvinceHost: the registry entry is
// reserved (an id taken is a conflict), the schema created and migrated,
// the centre and its admin stored, then the entry listed, so other
// instances only ever start a complete centre.
func (p *Province) CreateCentre(ctx context.Context, c province.Centre) (string, error) {
	if err := province.ValidID(c.ID); err != nil {
		return "", err
	}
	if !p.claim(c.ID) {
		return "", queue.Errorf(protocol.CodeConflict, "centre %s exists", c.ID)
	}
	if err := p.store.ReserveCentre(ctx, c); err != nil {
		p.settle(c, nil, err)
		return "", err
	}
	pw := RandomPassword()
	a, err := p.startCentre(ctx, c, pw)
	if err == nil {
		// A schema left by a creation that failed after its bootstrap
		// keeps its admin: the password returned must be the one set.
		err = p.resetAdmin(ctx, a, pw)
		if err == nil {
			err = p.store.CentreReady(ctx, c.ID, province.Audit(ctx, p.opts.Clock.Now(), province.ActionCentreCreate, c.ID, c.Name))
		}
		if err != nil {
			a.Close()
		}
	}
	p.settle(c, a, err)
	if err != nil {
		if ferr := p.store.ForgetCentre(context.WithoutCancel(ctx), c.ID); ferr != nil {
			p.log.Warn("forgetting a failed centre", "centre", c.ID, "err", ferr)
		}
		return "", err
	}
	p.log.Info("centre created", "centre", c.ID, "path", "/c/"+c.ID+"/")
	return pw, nil
}

// UpdateCentre implements httpapi.ProvinceHost. A new name is the
// registry's and the centre's own (its admin may rename it again, as
// before); the default centre can be renamed, not taken out of service.
// Taking a centre out of service stops it here now and on the other
// instances at their next read of the registry; its schema is kept.
func (p *Province) UpdateCentre(ctx context.Context, id string, name *string, disabled *bool) (province.Centre, error) {
	if id == province.DefaultID {
		if disabled != nil && *disabled {
			return province.Centre{}, queue.Errorf(protocol.CodeUnprocessable, "the default centre cannot be taken out of service")
		}
		if name != nil {
			if err := rename(ctx, p.Default, *name); err != nil {
				return province.Centre{}, err
			}
			// Not the registry's: recorded after the rename succeeded.
			if err := p.store.AddAudit(ctx, province.Audit(ctx, p.opts.Clock.Now(), province.ActionCentreRename, id, *name)); err != nil {
				p.log.Error("province audit log write failed", "action", province.ActionCentreRename, "err", err)
			}
		}
		return p.Centres()[0].Centre, nil
	}
	renamed := false
	if name != nil {
		// Renamed in the running centre first (also when it is being
		// taken out of service); a centre out of service is renamed
		// only while being enabled again.
		if err := p.sync(ctx); err != nil {
			return province.Centre{}, err
		}
		if a := p.App(id); a != nil {
			if err := rename(ctx, a, *name); err != nil {
				return province.Centre{}, err
			}
			renamed = true
		} else if _, off := p.disabledCentre(id); !off {
			return province.Centre{}, queue.Errorf(protocol.CodeNotFound, "no such centre")
		} else if disabled == nil || *disabled {
			return province.Centre{}, queue.Errorf(protocol.CodeConflict, "centre %s is out of service: enable it to rename it", id)
		}
	}
	now := p.opts.Clock.Now()
	var audit []province.AuditEntry
	if name != nil {
		audit = append(audit, province.Audit(ctx, now, province.ActionCentreRename, id, *name))
	}
	if disabled != nil {
		// The store leaves it out when the centre was so already.
		action := province.ActionCentreEnable
		if *disabled {
			action = province.ActionCentreDisable
		}
		audit = append(audit, province.Audit(ctx, now, action, id, ""))
	}
	c, err := p.store.UpdateCentre(ctx, id, name, disabled, audit...)
	if queue.IsNotFound(err) {
		return province.Centre{}, queue.Errorf(protocol.CodeNotFound, "no such centre")
	} else if err != nil {
		return province.Centre{}, err
	}
	if err := p.sync(ctx); err != nil {
		return province.Centre{}, err
	}
	if name != nil && !renamed {
		if a := p.App(id); a != nil {
			if err := rename(ctx, a, *name); err != nil {
				return province.Centre{}, err
			}
		}
	}
	return c, nil
}

// DeleteCentre implements httpapi.ProvinceHost: a centre out of service
// is deleted with its data (its schema) and its registry entry in one
// transaction (postgres.Province.DeleteCentre); by names who asked, for
// the log. Its App here, if this instance still had it (taken out of
// service elsewhere, not read yet), is closed now; the other instances
// close theirs at their next read of the registry. Its id is free again.
func (p *Province) DeleteCentre(ctx context.Context, id, by string) error {
	if id == province.DefaultID {
		return queue.Errorf(protocol.CodeUnprocessable, "the default centre cannot be deleted")
	}
	if err := province.ValidID(id); err != nil {
		return queue.Errorf(protocol.CodeNotFound, "no such centre")
	}
	began := time.Now()
	err := p.store.DeleteCentre(ctx, id, province.Audit(ctx, p.opts.Clock.Now(), province.ActionCentreDelete, id, "schema "+province.SchemaOf(id)+" dropped"))
	if queue.IsNotFound(err) {
		return queue.Errorf(protocol.CodeNotFound, "no such centre")
	} else if err != nil {
		return err
	}
	p.log.Info("centre deleted with its data", "centre", id, "schema", province.SchemaOf(id), "by", by,
		"took", time.Since(began).Round(time.Millisecond))
	// Served here no more, whatever the registry's next reading says.
	p.mu.Lock()
	a := p.apps[id]
	delete(p.apps, id)
	delete(p.disabled, id)
	p.mu.Unlock()
	if a != nil {
		if err := a.app.closeDeleted(); err != nil {
			p.log.Warn("closing centre", "centre", id, "err", err)
		}
	}
	if err := p.sync(context.WithoutCancel(ctx)); err != nil {
		p.log.Warn("province registry", "err", err)
	}
	return nil
}

func (p *Province) disabledCentre(id string) (province.Centre, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	c, ok := p.disabled[id]
	return c, ok
}

// rename sets a centre's own display name (Vietnamese; the English one
// too when it was the same or empty).
func rename(ctx context.Context, a *App, name string) error {
	c := a.Engine.Centre()
	if c.Name.En == "" || c.Name.En == c.Name.Vi {
		c.Name.En = name
	}
	c.Name.Vi = name
	_, err := a.Engine.PutCentre(ctx, c)
	return err
}

// resetAdmin gives a new centre's admin the password pw (and enables it).
func (p *Province) resetAdmin(ctx context.Context, a *App, pw string) error {
	u, err := a.Store.UserByName(ctx, "admin")
	if err != nil {
		return fmt.Errorf("the new centre's admin: %w", err)
	}
	if bcrypt.CompareHashAndPassword([]byte(u.PasswordHash), []byte(pw)) == nil && !u.Disabled {
		return nil // the usual case: the bootstrap just created it
	}
	enabled := false
	_, _, err = a.Auth.UpdateUser(ctx, u.ID, auth.UserPatch{Password: &pw, Disabled: &enabled}, nil)
	return err
}

// Centres implements httpapi.ProvinceHost: the default centre, then the
// registry's, by id.
func (p *Province) Centres() []httpapi.ProvinceCentre {
	dc := p.Default.Engine.Centre()
	out := []httpapi.ProvinceCentre{{Centre: province.Centre{ID: province.DefaultID, Name: dc.Name.Vi, TimeZone: dc.TimeZone}, API: p.Default.API}}
	p.mu.Lock()
	for _, c := range p.apps {
		out = append(out, httpapi.ProvinceCentre{Centre: c.centre, API: c.app.API})
	}
	for _, c := range p.disabled {
		out = append(out, httpapi.ProvinceCentre{Centre: c})
	}
	p.mu.Unlock()
	sort.Slice(out[1:], func(i, j int) bool { return out[1+i].ID < out[1+j].ID })
	return out
}

// App is the running centre id (province.DefaultID: the default one).
func (p *Province) App(id string) *App {
	if id == province.DefaultID {
		return p.Default
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if c := p.apps[id]; c != nil {
		return c.app
	}
	return nil
}

// Handler routes /c/{centre}/… to that centre (the prefix removed), the
// province's routes to the province API, and everything else to the
// default centre.
func (p *Province) Handler() http.Handler {
	def := p.Default.Handler()
	papi := p.API.Handler()
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		path := r.URL.Path
		if rest, ok := strings.CutPrefix(path, "/c/"); ok {
			id, sub, _ := strings.Cut(rest, "/")
			a := p.App(id)
			if a == nil {
				msg := "no such centre"
				if _, off := p.disabledCentre(id); off {
					msg = "this centre is out of service"
				}
				w.Header().Set("Content-Type", "application/json; charset=utf-8")
				w.WriteHeader(http.StatusNotFound)
				io.WriteString(w, `{"error":{"code":"not_found","message":"`+msg+`"}}`+"\n")
				return
			}
			if sub == "" && !strings.HasSuffix(path, "/") {
				http.Redirect(w, r, "/c/"+id+"/", http.StatusFound)
				return
			}
			r2 := r.Clone(r.Context())
			r2.URL.Path = "/" + sub
			r2.URL.RawPath = ""
			a.Handler().ServeHTTP(w, r2)
			return
		}
		if path == "/province" || strings.HasPrefix(path, "/api/v1/province/") {
			papi.ServeHTTP(w, r)
			return
		}
		def.ServeHTTP(w, r)
	})
}

func (p *Province) closeCentres() {
	p.mu.Lock()
	apps := p.apps
	p.apps = map[string]*centreApp{}
	p.mu.Unlock()
	for id, c := range apps {
		if err := c.app.Close(); err != nil {
			p.log.Warn("closing centre", "centre", id, "err", err)
		}
	}
}

// Close stops following the registry and closes every centre, the
// default one included. Stop the HTTP server first.
func (p *Province) Close() error {
	if p.cancel != nil {
		p.cancel()
	}
	p.wg.Wait()
	p.closeCentres()
	p.store.Close()
	return p.Default.Close()
}
