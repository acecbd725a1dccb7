package site

import (
	"os"
	"path/filepath"
	"testing"
)

func TestScanDirAndRules(t *testing.T) {
	dir := t.TempDir()
	files := map[string]string{
		"index.html":    "hi",
		"a/b.css":       "x",
		".git/config":   "skipped",
		"_redirects":    "/a /b 301\nbroken\n",
		".well-known/x": "kept",
	}
	for name, body := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got, err := ScanDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	keys := map[string]File{}
	for _, f := range got {
		keys[f.Key] = f
	}
	if len(got) != 4 || keys["a/b.css"].Size != 1 || keys["index.html"].MD5 != "49f68a5c8493ec2c0bf489821c21fc3b" {
		t.Fatalf("scan: %+v", got)
	}
	if _, ok := keys[".git/config"]; ok {
		t.Fatal(".git was deployed")
	}
	errs, err := CheckRules(got)
	if err != nil || len(errs) != 1 || errs[0].Line != 2 {
		t.Fatalf("rules: %v %v", errs, err)
	}
}

func TestEscapePath(t *testing.T) {
	if got := escapePath("d--blog/a b/c+d.html"); got != "d--blog/a%20b/c+d.html" {
		t.Fatalf("%q", got)
	}
}
