package view

import (
	"image/color"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/theme"

	"github.com/civiq/civiq/assets"
)

// Colours of the board: light text on deep blue, the calls in warm yellow.
// High contrast (at least 7:1) for elderly eyes across a hall.
var (
	colBackground = color.NRGBA{0x0a, 0x1c, 0x36, 0xff}
	colPanel      = color.NRGBA{0x13, 0x2d, 0x55, 0xff}
	colHeader     = color.NRGBA{0x05, 0x12, 0x26, 0xff}
	colText       = color.NRGBA{0xff, 0xff, 0xff, 0xff}
	colMuted      = color.NRGBA{0xb8, 0xc7, 0xdd, 0xff}
	colCode       = color.NRGBA{0xff, 0xd2, 0x3f, 0xff}
	colFlash      = color.NRGBA{0xff, 0xd2, 0x3f, 0xff}
	colOnFlash    = color.NRGBA{0x0a, 0x1c, 0x36, 0xff}
	colNewest     = color.NRGBA{0x1f, 0x5f, 0x3a, 0xff}
	colOffline    = color.NRGBA{0xc6, 0x28, 0x28, 0xff}
	colNotice     = color.NRGBA{0xff, 0xf3, 0xc4, 0xff}
	colOnNotice   = color.NRGBA{0x1a, 0x1a, 0x1a, 0xff}
	colPaused     = color.NRGBA{0x2a, 0x36, 0x4a, 0xff}
	colWarn       = color.NRGBA{0xff, 0xb3, 0x00, 0xff}
	colOnWarn     = color.NRGBA{0x1a, 0x1a, 0x1a, 0xff}
	colBanner     = color.NRGBA{0x1d, 0x4e, 0x89, 0xff}
	colPageMark   = color.NRGBA{0x2c, 0x4f, 0x86, 0xff}
	colOnPageMark = color.NRGBA{0xff, 0xff, 0xff, 0xff}
	colRule       = color.NRGBA{0x24, 0x44, 0x73, 0xff}
)

// Theme is the display's Fyne theme: the board's dark colours and DejaVu
// Sans, whose glyphs cover every Vietnamese letter with its tone mark (the
// default font stacks some marks badly).
type Theme struct {
	regular, bold fyne.Resource
}

// NewTheme loads the fonts from the embedded assets.
func NewTheme() (*Theme, error) {
	r, b, err := assets.Fonts()
	if err != nil {
		return nil, err
	}
	return &Theme{regular: fyne.NewStaticResource("DejaVuSans.ttf", r), bold: fyne.NewStaticResource("DejaVuSans-Bold.ttf", b)}, nil
}

var _ fyne.Theme = (*Theme)(nil)

// Color implements fyne.Theme.
func (t *Theme) Color(n fyne.ThemeColorName, v fyne.ThemeVariant) color.Color {
	switch n {
	case theme.ColorNameBackground:
		return colBackground
	case theme.ColorNameForeground:
		return colText
	}
	return theme.DefaultTheme().Color(n, theme.VariantDark)
}

// Font implements fyne.Theme.
func (t *Theme) Font(s fyne.TextStyle) fyne.Resource {
	if s.Bold {
		return t.bold
	}
	return t.regular
}

// Icon implements fyne.Theme.
func (t *Theme) Icon(n fyne.ThemeIconName) fyne.Resource { return theme.DefaultTheme().Icon(n) }

// Size implements fyne.Theme.
func (t *Theme) Size(n fyne.ThemeSizeName) float32 { return theme.DefaultTheme().Size(n) }
