package layers

import (
	"go/build"
	"io/fs"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

const module = "github.com/garage-web/garage-web"

// layer of each package (path inside the module). A subpackage not listed
// has its closest listed parent's layer.
var layer = map[string]int{
	// Leaves: they import no package of the module but other leaves.
	"internal":     0,
	"checksum":     0,
	"bucketconfig": 0,
	"nixsign":      0,
	"config":       0,
	"site/rules":   0,

	"storage":    1,
	"cluster":    2, // with cluster/rpc, cluster/membership
	"table":      3, // with table/crdt
	"blockrepl":  3,
	"model":      4,
	"httpobject": 5, // the object read path below s3/ and web/
	"site":       5, // the client side of sites, over S3 only
	"s3":         6,
	"web":        6,
	"admin":      6,
	"tls":        6,
	"node":       7,
	"cmd":        8,
	"bench":      8,
	"test":       8,
}

// forbiddenStd are standard packages a layer may not import directly.
var forbiddenStd = map[string][]string{
	"model": {"net/http"}, // HTTP belongs to the front ends and httpobject
}

// layerOf returns the layer of pkg and the listed path that gave it.
func layerOf(pkg string) (int, string, bool) {
	for p := pkg; p != "."; p = filepath.ToSlash(filepath.Dir(p)) {
		if l, ok := layer[p]; ok {
			return l, p, true
		}
	}
	return 0, "", false
}

// related reports whether a and b are in one directory tree of the module
// (s3 and s3/s3err, s3/sigv4 and s3/s3err, cluster/rpc and cluster): a
// tree arranges its own subpackages.
func related(a, b string) bool {
	top := func(p string) string { t, _, _ := strings.Cut(p, "/"); return t }
	return top(a) == top(b)
}

// packages returns each package of the module (path inside it) with its
// non-test imports, parsed with go/build from the module's source tree.
func packages(t *testing.T) map[string][]string {
	t.Helper()
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]string{}
	err = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() {
			return nil
		}
		name := d.Name()
		if path != root && (strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_") || name == "testdata" || name == "node_modules") {
			return filepath.SkipDir
		}
		pkg, err := build.ImportDir(path, build.ImportComment)
		if err != nil {
			if _, ok := err.(*build.NoGoError); ok {
				return nil
			}
			t.Errorf("%s: %v", path, err)
			return nil
		}
		rel, err := filepath.Rel(root, path)
		if err != nil {
			return err
		}
		out[filepath.ToSlash(rel)] = pkg.Imports
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(out) < 10 {
		t.Fatalf("found only %d packages under %s", len(out), root)
	}
	return out
}

func TestImportsPointDownwards(t *testing.T) {
	pkgs := packages(t)
	names := make([]string, 0, len(pkgs))
	for p := range pkgs {
		names = append(names, p)
	}
	sort.Strings(names)
	for _, p := range names {
		if p == "." {
			t.Errorf("a package at the module root: give it a directory and a layer")
			continue
		}
		lp, _, ok := layerOf(p)
		if !ok {
			t.Errorf("package %s has no layer: add it to the table in internal/layers/layers_test.go (and docs/architecture.md)", p)
			continue
		}
		for _, imp := range pkgs[p] {
			for _, bad := range forbiddenStd[p] {
				if imp == bad || strings.HasPrefix(imp, bad+"/") {
					t.Errorf("%s imports %s", p, imp)
				}
			}
			dep, ok := strings.CutPrefix(imp, module+"/")
			if !ok || related(p, dep) {
				continue
			}
			ld, _, ok := layerOf(dep)
			if !ok {
				continue // reported as a package without a layer
			}
			if ld >= lp {
				t.Errorf("%s (layer %d) imports %s (layer %d): imports must point downwards", p, lp, dep, ld)
			}
		}
	}
}

// The checker itself: an upward or sideways import is caught, a downward
// one and a subpackage are not.
func TestLayerRules(t *testing.T) {
	for _, c := range []struct {
		from, to string
		ok       bool
	}{
		{"web", "s3", false},
		{"web", "s3/s3err", false},
		{"cluster", "table", false},
		{"model", "httpobject", false},
		{"table/crdt", "model", false},
		{"s3", "s3/s3err", true},
		{"s3/sigv4", "s3/s3err", true},
		{"cluster/rpc", "cluster", true},
		{"web", "httpobject", true},
		{"model", "checksum", true},
		{"node", "web", true},
	} {
		lf, _, _ := layerOf(c.from)
		lt, _, _ := layerOf(c.to)
		if got := related(c.from, c.to) || lt < lf; got != c.ok {
			t.Errorf("%s -> %s allowed = %v, want %v", c.from, c.to, got, c.ok)
		}
	}
	if _, _, ok := layerOf("newpkg"); ok {
		t.Error("an unknown package has a layer")
	}
}
