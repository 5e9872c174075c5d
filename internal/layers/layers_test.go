package layers

import (
	"go/build"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

const module = "github.com/civiq/civiq/"

// allowed lists, per package (or per prefix ending in "/..."), the packages
// of this module it may import; the first matching entry applies. Standard
// library and outside modules are checked only where forbidden says so.
var allowed = []struct {
	pkg string
	may []string
}{
	{"server/protocol", nil},
	{"server/client", []string{"server/protocol"}},
	{"server/internal/forecast", []string{"server/protocol"}},
	{"server/internal/queue/enginetest", []string{"server/protocol", "server/internal/forecast", "server/internal/queue"}},
	{"server/internal/queue", []string{"server/protocol", "server/internal/forecast", "internal/cccd"}},
	{"server/internal/auth", []string{"server/protocol", "server/internal/queue"}},
	{"server/internal/report", []string{"server/protocol"}},
	{"server/internal/province", []string{"server/protocol", "server/internal/queue"}},
	{"server/internal/webhook", []string{"server/protocol"}},
	{"server/internal/dirlock", nil},
	{"server/internal/hub/wsconn", nil},
	{"server/internal/hub", []string{"server/protocol", "server/internal/forecast", "server/internal/hub/wsconn"}},
	{"server/internal/store/postgres/pgtest", nil},
	{"server/internal/store/sqlitefile", nil},
	{"server/internal/store", []string{"server/protocol", "server/internal/queue", "server/internal/auth", "server/internal/report", "server/internal/webhook", "server/internal/store"}},
	{"server/internal/store/...", []string{"server/protocol", "server/internal/queue", "server/internal/auth", "server/internal/report", "server/internal/webhook", "server/internal/store", "server/internal/store/sqlitefile", "server/internal/province"}},
	{"server/internal/httpapi", []string{"assets", "server/protocol", "server/internal/queue", "server/internal/auth", "server/internal/hub", "server/internal/report", "server/internal/webhook", "server/internal/province"}},
	{"server/internal/config", []string{"internal/settings", "server/protocol", "server/internal/queue"}},
	{"server/internal/sim", []string{"server/protocol", "server/internal/config", "server/internal/forecast", "server/internal/queue", "server/internal/store/sqlite"}},
	{"server/internal/wiring", []string{"assets", "server/...", "internal/..."}},
	{"server/...", []string{"assets", "server/...", "internal/..."}},
	{"internal/settings", nil},
	{"internal/cccd", nil},
	{"internal/voice/wav", nil},
	{"internal/...", []string{"server/protocol", "server/client", "internal/..."}},
	{"kiosk/...", []string{"assets", "server/protocol", "server/client", "internal/...", "kiosk/..."}},
	{"display/...", []string{"assets", "server/protocol", "server/client", "internal/...", "display/..."}},
	{"assets", nil},
	{"scripts", nil},
}

// forbidden lists outside imports a package must never have.
var forbidden = map[string][]string{
	"server/internal/queue":    {"net/http", "database/sql"},
	"server/internal/forecast": {"net/http", "database/sql", "time/tzdata"},
	"server/internal/province": {"net/http", "database/sql"},
	"server/protocol":          {"database/sql"},
	"server/internal/httpapi":  {"database/sql"},
}

func match(pattern, pkg string) bool {
	if p, ok := strings.CutSuffix(pattern, "/..."); ok {
		return pkg == p || strings.HasPrefix(pkg, p+"/")
	}
	return pattern == pkg
}

func TestLayers(t *testing.T) {
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "go.mod")); err != nil {
		t.Fatal("module root not found:", err)
	}
	checked := 0
	err = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil || !d.IsDir() {
			return err
		}
		name := d.Name()
		if path != root && (strings.HasPrefix(name, ".") || name == "testdata" || name == "node_modules") {
			return filepath.SkipDir
		}
		rel, _ := filepath.Rel(root, path)
		rel = filepath.ToSlash(rel)
		bp, err := build.ImportDir(path, 0)
		if err != nil {
			return nil // no Go files (or only tests) here
		}
		rule := -1
		for i, a := range allowed {
			if match(a.pkg, rel) {
				rule = i
				break
			}
		}
		if rule < 0 {
			t.Errorf("%s: no layering rule (add it to allowed and to docs/ARCHITECTURE.md)", rel)
			return nil
		}
		checked++
		for _, imp := range bp.Imports {
			if slices.Contains(forbidden[rel], imp) {
				t.Errorf("%s imports %s, which it must not", rel, imp)
			}
			in, ok := strings.CutPrefix(imp, module)
			if !ok || in == rel {
				continue
			}
			if !slices.ContainsFunc(allowed[rule].may, func(p string) bool { return match(p, in) }) {
				t.Errorf("%s imports %s; its rule (%s) allows only %v", rel, in, allowed[rule].pkg, allowed[rule].may)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if checked < 40 {
		t.Fatalf("only %d packages checked: the walk missed the tree", checked)
	}
}
