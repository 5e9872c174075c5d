// Package assets embeds the files every CiviQ part ships with: the web pages
// served by the server, the fonts used to render tickets, the chime and voice
// clips of the displays, and the demo centre definition.
package assets

import "embed"

// FS holds web/, fonts/, sounds/ and demo/. It is read-only.
//
//go:embed web fonts sounds demo
var FS embed.FS

// The one UI and ticket font, inside FS: DejaVu Sans has every Vietnamese
// letter with its tone mark (common default fonts stack some marks badly).
const (
	FontRegular = "fonts/DejaVuSans.ttf"
	FontBold    = "fonts/DejaVuSans-Bold.ttf"
)

// Fonts returns the regular and bold font files.
func Fonts() (regular, bold []byte, err error) {
	if regular, err = FS.ReadFile(FontRegular); err != nil {
		return nil, nil, err
	}
	if bold, err = FS.ReadFile(FontBold); err != nil {
		return nil, nil, err
	}
	return regular, bold, nil
}
