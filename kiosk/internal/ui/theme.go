package ui

import (
	"image/color"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/theme"

	"github.com/civiq/civiq/assets"
)

// Colours of the kiosk: dark navy on near-white, for contrast well above
// WCAG AA for the elderly; the same in light and dark system variants.
var (
	colBackground    = color.NRGBA{0xf3, 0xf5, 0xf8, 0xff}
	colText          = color.NRGBA{0x0b, 0x25, 0x45, 0xff}
	colTile          = color.NRGBA{0xff, 0xff, 0xff, 0xff}
	colTileEdge      = color.NRGBA{0x13, 0x4f, 0x8c, 0xff}
	colHeader        = color.NRGBA{0x0b, 0x25, 0x45, 0xff}
	colPriority      = color.NRGBA{0xff, 0xc1, 0x07, 0xff}
	colPriorityLight = color.NRGBA{0xff, 0xf3, 0xc4, 0xff}
	colClosed        = color.NRGBA{0xe2, 0xe5, 0xea, 0xff}
	colMuted         = color.NRGBA{0x4a, 0x55, 0x68, 0xff}
	colDanger        = color.NRGBA{0xa6, 0x1b, 0x1b, 0xff}
	colDangerBg      = color.NRGBA{0xfd, 0xe8, 0xe8, 0xff}
	colOK            = color.NRGBA{0x1b, 0x7a, 0x3a, 0xff}
	colWhite         = color.NRGBA{0xff, 0xff, 0xff, 0xff}
)

// kioskTheme is large type in DejaVu Sans (it has every Vietnamese mark)
// and the colours above.
type kioskTheme struct {
	regular, bold fyne.Resource
}

func newTheme() (*kioskTheme, error) {
	r, b, err := assets.Fonts()
	if err != nil {
		return nil, err
	}
	return &kioskTheme{regular: fyne.NewStaticResource("DejaVuSans.ttf", r), bold: fyne.NewStaticResource("DejaVuSans-Bold.ttf", b)}, nil
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
	switch n {
	case theme.ColorNameBackground:
		return colBackground
	case theme.ColorNameForeground:
		return colText
	case theme.ColorNameButton:
		return colTile
	case theme.ColorNamePrimary:
		return colTileEdge
	case theme.ColorNameForegroundOnPrimary:
		return colWhite
	case theme.ColorNameError:
		return colDanger
	case theme.ColorNameSuccess:
		return colOK
	case theme.ColorNameWarning:
		return color.NRGBA{0x8a, 0x4b, 0x00, 0xff}
	case theme.ColorNameDisabled:
		return colMuted
	case theme.ColorNameHover:
		return color.NRGBA{0x13, 0x4f, 0x8c, 0x22}
	case theme.ColorNamePressed:
		return color.NRGBA{0x13, 0x4f, 0x8c, 0x44}
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
	switch n {
	case theme.SizeNameText:
		return sizeText
	case theme.SizeNameHeadingText:
		return sizeHeading
	case theme.SizeNameSubHeadingText:
		return sizeSubhead
	case theme.SizeNameCaptionText:
		return sizeCaption
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
