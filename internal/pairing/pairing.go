// Package pairing is the "pair" command of the kiosk and the display:
//
//	kiosk pair CODE --server URL[,URL…] [--token-file FILE]
//	display pair CODE --server URL [--token-file FILE]
//
// It trades the one-time code shown in /admin (Thiết bị → Ghép thiết bị)
// for the device's token (POST /api/v1/pair) and writes the token to the
// token file, so that nobody copies a token by hand.
package pairing

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/civiq/civiq/server/client"
)

// Timeout bounds the exchange with the server.
const Timeout = 15 * time.Second

// Run runs "pair" for a device of kind (protocol.RoleKiosk or
// protocol.RoleDisplay); args follow the word "pair". getenv supplies
// CIVIQ_SERVER and CIVIQ_TOKEN_FILE as defaults.
func Run(ctx context.Context, kind string, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet(kind+" pair", flag.ContinueOnError)
	fs.SetOutput(stderr)
	server := fs.String("server", getenv("CIVIQ_SERVER"), "server URL, e.g. http://10.0.0.2:8080, or several comma-separated (env CIVIQ_SERVER)")
	tokenFile := fs.String("token-file", getenv("CIVIQ_TOKEN_FILE"), "where to write the device token (env CIVIQ_TOKEN_FILE)")
	fs.Usage = func() {
		fmt.Fprintf(stderr, "usage: %s pair CODE --server URL --token-file FILE\n", kind)
		fs.PrintDefaults()
	}
	// The code may come before or after the flags.
	var code string
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		code, args = args[0], args[1:]
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if code == "" && fs.NArg() > 0 {
		code = strings.Join(fs.Args(), "")
	} else if fs.NArg() > 0 {
		return fmt.Errorf("pair: unexpected %q", fs.Args())
	}
	if code == "" {
		fs.Usage()
		return errors.New("pair: the code from /admin is required")
	}
	if *server == "" || *tokenFile == "" {
		fs.Usage()
		return errors.New("pair: --server and --token-file are required")
	}
	// CIVIQ_SERVER may list several instances of the centre (docs/CONFIG.md).
	cl, err := client.NewMulti(strings.Split(*server, ","), "")
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, Timeout)
	defer cancel()
	d, err := cl.Pair(ctx, code)
	if err != nil {
		return fmt.Errorf("pair: %w", err)
	}
	if d.Kind != kind {
		return fmt.Errorf("pair: the code was made for a %s, not a %s: revoke device %q (%s) in /admin and make a %s code", d.Kind, kind, d.Name, d.ID, kind)
	}
	if d.Token == "" {
		return errors.New("pair: the server sent no token")
	}
	if err := writeToken(*tokenFile, d.Token); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%s: paired as %q (%s); token written to %s\n", kind, d.Name, d.ID, *tokenFile)
	return nil
}

// writeToken writes the token to path, readable by its owner only,
// replacing any older one atomically.
func writeToken(path, token string) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	f, err := os.CreateTemp(dir, ".token-*")
	if err != nil {
		return err
	}
	defer os.Remove(f.Name())
	if err := f.Chmod(0o600); err != nil {
		f.Close()
		return err
	}
	if _, err := f.WriteString(token + "\n"); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(f.Name(), path)
}
