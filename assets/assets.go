// Package assets embeds the files every CiviQ part ships with: the web pages
// served by the server, the fonts used to render tickets, the chime and voice
// clips of the displays, and the demo centre definition.
package assets

import "embed"

// FS holds web/, fonts/, sounds/ and demo/. It is read-only.
//
//go:embed web fonts sounds demo
var FS embed.FS
