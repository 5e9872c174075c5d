package ui

import (
	"image/color"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/theme"

	"github.com/civiq/civiq/assets"
)

// palette is the kiosk's colours in one mode. The usual one is dark navy
// on near-white, well above WCAG AA for the elderly; the large-text one
// is white and yellow on black, above WCAG AAA (7:1) everywhere.
type palette struct {
	large                                                                     bool
	background, text, tile, edge, priority, priorityLight, closed, muted      color.Color
	danger, dangerBg, ok, warning, white, group, badge, badgeText, focus, btn color.Color
	onPriority                                                                color.Color // text on the priority colour
}

func normalPalette() palette {
	return palette{
		background:    color.NRGBA{0xf3, 0xf5, 0xf8, 0xff},
		text:          color.NRGBA{0x0b, 0x25, 0x45, 0xff},
		tile:          color.NRGBA{0xff, 0xff, 0xff, 0xff},
		edge:          color.NRGBA{0x13, 0x4f, 0x8c, 0xff},
		priority:      color.NRGBA{0xff, 0xc1, 0x07, 0xff},
		priorityLight: color.NRGBA{0xff, 0xf3, 0xc4, 0xff},
		closed:        color.NRGBA{0xe2, 0xe5, 0xea, 0xff},
		muted:         color.NRGBA{0x4a, 0x55, 0x68, 0xff},
		danger:        color.NRGBA{0xa6, 0x1b, 0x1b, 0xff},
		dangerBg:      color.NRGBA{0xfd, 0xe8, 0xe8, 0xff},
		ok:            color.NRGBA{0x1b, 0x7a, 0x3a, 0xff},
		warning:       color.NRGBA{0x8a, 0x4b, 0x00, 0xff},
		white:         color.NRGBA{0xff, 0xff, 0xff, 0xff},
		group:         color.NRGBA{0xe3, 0xee, 0xfa, 0xff},
		badge:         color.NRGBA{0x13, 0x4f, 0x8c, 0xff},
		badgeText:     color.NRGBA{0xff, 0xff, 0xff, 0xff},
		focus:         color.NRGBA{0x13, 0x4f, 0x8c, 0x66},
		btn:           color.NRGBA{0xff, 0xff, 0xff, 0xff},
		onPriority:    color.NRGBA{0x0b, 0x25, 0x45, 0xff},
	}
}

// largePalette: white on black (21:1), yellow frames and buttons with
// black text (16:1), the fault red lightened to 8:1 on its background.
func largePalette() palette {
	black := color.NRGBA{0x00, 0x00, 0x00, 0xff}
	yellow := color.NRGBA{0xff, 0xd6, 0x00, 0xff}
	return palette{
		large:         true,
		background:    black,
		text:          color.NRGBA{0xff, 0xff, 0xff, 0xff},
		tile:          color.NRGBA{0x0d, 0x0d, 0x0d, 0xff},
		edge:          yellow,
		priority:      yellow,
		priorityLight: color.NRGBA{0x26, 0x20, 0x00, 0xff},
		closed:        color.NRGBA{0x1a, 0x1a, 0x1a, 0xff},
		muted:         color.NRGBA{0xc8, 0xc8, 0xc8, 0xff},
		danger:        color.NRGBA{0xff, 0xa8, 0xa8, 0xff},
		dangerBg:      color.NRGBA{0x2a, 0x00, 0x00, 0xff},
		ok:            color.NRGBA{0x7d, 0xf0, 0x9a, 0xff},
		warning:       yellow,
		white:         color.NRGBA{0xff, 0xff, 0xff, 0xff},
		group:         color.NRGBA{0x00, 0x1f, 0x4d, 0xff},
		badge:         yellow,
		badgeText:     black,
		focus:         yellow,
		btn:           color.NRGBA{0x0d, 0x0d, 0x0d, 0xff},
		onPriority:    black,
	}
}

// kioskTheme is large type in DejaVu Sans (it has every Vietnamese mark)
// and the colours of a palette; in large-text mode the type is a quarter
// larger.
type kioskTheme struct {
	regular, bold fyne.Resource
	pal           palette
}

func newTheme(pal palette) (*kioskTheme, error) {
	r, b, err := assets.Fonts()
	if err != nil {
		return nil, err
	}
	if r, err = tallAscent(r); err != nil {
		return nil, err
	}
	if b, err = tallAscent(b); err != nil {
		return nil, err
	}
	return &kioskTheme{regular: fyne.NewStaticResource("DejaVuSans.ttf", r), bold: fyne.NewStaticResource("DejaVuSans-Bold.ttf", b), pal: pal}, nil
}

// withPalette is the theme with other colours (the same fonts).
func (t *kioskTheme) withPalette(pal palette) *kioskTheme {
	return &kioskTheme{regular: t.regular, bold: t.bold, pal: pal}
}

// Sizes of the kiosk text, in Fyne units (1 unit = 1 px at scale 1).
const (
	sizeText      = 30
	sizeHeading   = 46
	sizeSubhead   = 36
	sizeCaption   = 26
	sizeCode      = 200
	sizeTileTitle = fyne.ThemeSizeName("kioskTile")
)

func (t *kioskTheme) Color(n fyne.ThemeColorName, _ fyne.ThemeVariant) color.Color {
	p := t.pal
	switch n {
	case theme.ColorNameBackground:
		return p.background
	case theme.ColorNameForeground:
		return p.text
	case theme.ColorNameButton:
		return p.btn
	case theme.ColorNamePrimary:
		return p.edge
	case theme.ColorNameForegroundOnPrimary:
		return p.onPrimary()
	case theme.ColorNameError:
		return p.danger
	case theme.ColorNameSuccess:
		return p.ok
	case theme.ColorNameWarning:
		return p.warning
	case theme.ColorNameDisabled:
		return p.muted
	case theme.ColorNameHover:
		if p.large {
			return color.NRGBA{0xff, 0xd6, 0x00, 0x33}
		}
		return color.NRGBA{0x13, 0x4f, 0x8c, 0x22}
	case theme.ColorNamePressed:
		if p.large {
			return color.NRGBA{0xff, 0xd6, 0x00, 0x66}
		}
		return color.NRGBA{0x13, 0x4f, 0x8c, 0x44}
	case theme.ColorNameFocus:
		return p.focus
	case theme.ColorNameDisabledButton:
		if p.large {
			return color.NRGBA{0x33, 0x33, 0x33, 0xff}
		}
	case theme.ColorNameShadow:
		return color.NRGBA{0, 0, 0, 0x40}
	}
	return theme.DefaultTheme().Color(n, theme.VariantLight)
}

func (t *kioskTheme) Font(s fyne.TextStyle) fyne.Resource {
	if s.Bold {
		return t.bold
	}
	return t.regular
}

func (t *kioskTheme) Icon(n fyne.ThemeIconName) fyne.Resource { return theme.DefaultTheme().Icon(n) }

func (t *kioskTheme) Size(n fyne.ThemeSizeName) float32 {
	k := t.pal.scale()
	switch n {
	case theme.SizeNameText:
		return sizeText * k
	case theme.SizeNameHeadingText:
		return sizeHeading * k
	case theme.SizeNameSubHeadingText:
		return sizeSubhead * k
	case theme.SizeNameCaptionText:
		return sizeCaption * k
	case sizeTileTitle:
		return 38
	case theme.SizeNamePadding:
		return 10
	case theme.SizeNameInnerPadding:
		return 8
	case theme.SizeNameLineSpacing:
		return 6
	case theme.SizeNameInlineIcon:
		return 36
	}
	return theme.DefaultTheme().Size(n)
}

// onPrimary is the text colour on a primary (high importance) button.
func (p palette) onPrimary() color.Color {
	if p.large {
		return p.badgeText
	}
	return p.white
}

// scale is how much larger the type is than usual.
func (p palette) scale() float32 {
	if p.large {
		return 1.25
	}
	return 1
}
