package main

import (
	"cmp"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"text/tabwriter"
	"time"

	"github.com/civiq/civiq/server/internal/auth"
	"github.com/civiq/civiq/server/internal/queue"
	"github.com/civiq/civiq/server/internal/wiring"
)

const userUsage = `usage:
  server user create         --data DIR --username NAME --role admin|clerk [--name "Full name"]
  server user reset-password --data DIR --username NAME [--enable]
  server user list           --data DIR

With --db postgres://… (or CIVIQ_DB) the accounts of that PostgreSQL store
are managed instead of the data folder's.

The password is taken from CIVIQ_USER_PASSWORD, or generated and printed
once. It works while the server runs; a running server applies a reset to
requests within 10 seconds.`

// user manages accounts straight in the data folder's store, from the
// machine's shell: for the day the only admin password is lost.
func user(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprintln(stderr, userUsage)
		return errors.New("server user: a subcommand is required")
	}
	sub := args[0]
	fs := flag.NewFlagSet("server user "+sub, flag.ContinueOnError)
	fs.SetOutput(stderr)
	data := fs.String("data", cmp.Or(getenv("CIVIQ_DATA"), "./data"), "data folder of the SQLite store")
	db := fs.String("db", getenv("CIVIQ_DB"), "postgres://… URL of the PostgreSQL store instead (env CIVIQ_DB)")
	centreID := fs.String("centre-id", getenv("CIVIQ_CENTRE_ID"), "with --db: the province's centre (its id, as in /c/{id}/); empty: the default centre")
	username := fs.String("username", "", "login name")
	role := fs.String("role", "", "admin or clerk")
	name := fs.String("name", "", "full name shown in the pages")
	enable := fs.Bool("enable", false, "also re-enable a disabled account")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("server user %s: unexpected argument %q", sub, fs.Arg(0))
	}
	st, err := openStore(ctx, *data, *db, *centreID)
	if err != nil {
		return err
	}
	defer st.Close()
	svc := auth.NewAuthority(st, queue.SystemClock{}, 0, 0)
	password := getenv("CIVIQ_USER_PASSWORD")
	generated := password == ""
	if generated {
		password = wiring.RandomPassword()
	}
	audit := func(action, subject string, changes []auth.Change) error {
		return st.AddAudit(ctx, auth.AuditEntry{At: time.Now(), Actor: "command line", Action: action, Subject: subject, Changes: changes})
	}
	show := func(verb string) {
		if generated {
			fmt.Fprintf(stdout, "%s user %s, password %s   (shown once; change it in /admin)\n", verb, *username, password)
		} else {
			fmt.Fprintf(stdout, "%s user %s, password from CIVIQ_USER_PASSWORD\n", verb, *username)
		}
	}
	switch sub {
	case "create":
		u, err := svc.CreateUser(ctx, auth.UserInput{Username: *username, Name: *name, Role: *role, Password: password})
		if err != nil {
			return err
		}
		if err := audit("user.create", u.Username, []auth.Change{{Field: "role", After: u.Role}, {Field: "name", After: u.Name}}); err != nil {
			return err
		}
		show("created")
	case "reset-password":
		u, err := st.UserByName(ctx, *username)
		if err != nil {
			if queue.IsNotFound(err) {
				return fmt.Errorf("no user %q (server user list shows them)", *username)
			}
			return err
		}
		patch := auth.UserPatch{Password: &password}
		changes := []auth.Change{{Field: "password", Before: nil, After: "(changed)"}}
		if *enable && u.Disabled {
			f := false
			patch.Disabled = &f
			changes = append(changes, auth.Change{Field: "disabled", Before: true, After: false})
		}
		if _, _, err := svc.UpdateUser(ctx, u.ID, patch, nil); err != nil {
			return err
		}
		if err := audit("user.update", u.Username, changes); err != nil {
			return err
		}
		show("reset")
		if u.Disabled && !*enable {
			fmt.Fprintln(stdout, "note: the account is disabled; add --enable to enable it")
		}
	case "list":
		us, err := st.Users(ctx)
		if err != nil {
			return err
		}
		tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "USERNAME\tROLE\tSTATE\tNAME")
		for _, u := range us {
			state := "enabled"
			if u.Disabled {
				state = "disabled"
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", u.Username, u.Role, state, u.Name)
		}
		return tw.Flush()
	default:
		fmt.Fprintln(stderr, userUsage)
		return fmt.Errorf("server user: unknown subcommand %q (create, reset-password, list)", sub)
	}
	return nil
}
