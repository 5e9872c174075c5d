package printer

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"image"
	"image/png"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// dirPrinter "prints" each ticket as a PNG file into a folder: for kiosks
// without a printer (a demo, a tablet kiosk showing the ticket on screen)
// and for tests. The PNG holds exactly the dots a thermal printer would
// burn.
type dirPrinter struct {
	dir string
	now func() time.Time
	g   *gate
}

var _ Printer = (*dirPrinter)(nil)

func newDirPrinter(dir string) (*dirPrinter, error) {
	if strings.TrimSpace(dir) == "" {
		return nil, badSpec("dir:"+dir, "no folder")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, &Error{Op: "open", Reason: ReasonUnreachable, Err: err}
	}
	return &dirPrinter{dir: dir, now: time.Now, g: newGate()}, nil
}

// String returns the printer's spec, for logs.
func (p *dirPrinter) String() string { return "dir:" + p.dir }

// Print writes img as DIR/20261128-150405.123-A012.png, where A012 is the
// label of a Labelled image. The file appears whole or not at all: it is
// written under a temporary name and renamed.
func (p *dirPrinter) Print(ctx context.Context, img image.Image) error {
	img, label := unlabel(img)
	b := img.Bounds()
	if b.Dx() <= 0 || b.Dy() <= 0 || b.Dx() > MaxWidth || b.Dy() > MaxHeight {
		return &Error{Op: "print", Reason: ReasonBadImage,
			Err: fmt.Errorf("image of %dx%d dots: want 1 to %d wide and 1 to %d tall", b.Dx(), b.Dy(), MaxWidth, MaxHeight)}
	}
	if err := p.g.enter(ctx, "print"); err != nil {
		return err
	}
	defer p.g.leave()
	if err := ctx.Err(); err != nil {
		return ioError(ctx, "print", false, err)
	}
	if err := p.write(oneBit(img), p.name(label)); err != nil {
		return &Error{Op: "print", Reason: ReasonIO, Err: err}
	}
	return nil
}

// name returns the file name without extension: time first, so that a
// folder listing is in printing order.
func (p *dirPrinter) name(label string) string {
	name := p.now().Format("20060102-150405.000")
	var clean strings.Builder
	for _, c := range label {
		if clean.Len() >= 32 {
			break
		}
		// The label goes into a path: only characters safe on every
		// file system, and never a separator or "..".
		switch {
		case c >= 'A' && c <= 'Z', c >= 'a' && c <= 'z', c >= '0' && c <= '9', c == '-', c == '_':
			clean.WriteRune(c)
		default:
			clean.WriteByte('_')
		}
	}
	if clean.Len() > 0 {
		name += "-" + clean.String()
	}
	return name
}

func (p *dirPrinter) write(img image.Image, name string) (err error) {
	tmp, err := os.CreateTemp(p.dir, ".ticket-*.tmp")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			_ = tmp.Close()
			_ = os.Remove(tmp.Name())
		}
	}()
	w := bufio.NewWriter(tmp)
	if err := png.Encode(w, img); err != nil {
		return err
	}
	if err := w.Flush(); err != nil {
		return err
	}
	if err := tmp.Sync(); err != nil {
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	// Two tickets in the same millisecond get -2, -3...; jobs on this
	// printer run one at a time, so the free name stays free.
	for i := 1; ; i++ {
		final := name
		if i > 1 {
			final += "-" + strconv.Itoa(i)
		}
		final = filepath.Join(p.dir, final+".png")
		if _, err := os.Lstat(final); errors.Is(err, fs.ErrNotExist) {
			return os.Rename(tmp.Name(), final)
		} else if err != nil {
			return err
		}
	}
}

// oneBit returns img as the black and white dots a printer would print.
func oneBit(img image.Image) *image.Paletted {
	b := img.Bounds()
	out := image.NewPaletted(image.Rect(0, 0, b.Dx(), b.Dy()), bwPalette())
	for y := range b.Dy() {
		for x := range b.Dx() {
			if dark(img, b.Min.X+x, b.Min.Y+y) {
				out.Pix[out.PixOffset(x, y)] = 1
			}
		}
	}
	return out
}

// Status is ok while the folder exists.
func (p *dirPrinter) Status(ctx context.Context) (Status, error) {
	if err := p.g.enter(ctx, "status"); err != nil {
		return Status{}, err
	}
	defer p.g.leave()
	fi, err := os.Stat(p.dir)
	if err == nil && !fi.IsDir() {
		err = fmt.Errorf("%s is not a folder", p.dir)
	}
	if err != nil {
		return Status{}, &Error{Op: "status", Reason: ReasonUnreachable, Err: err}
	}
	return Status{State: StateOK}, nil
}

// Close makes later calls fail.
func (p *dirPrinter) Close() error {
	p.g.close()
	return nil
}
