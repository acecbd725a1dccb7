package main

import (
	"encoding/json"
	"strings"
	"testing"
)

// What a new user tripped on (issue 10): duplicate key names, JSON field
// names, --version, website settings kept when one is changed.

func TestKeyCreateRefusesDuplicateName(t *testing.T) {
	h := mustHarness(t)
	h.mustRun(t, "key", "create", "alice")
	r := h.run(t, "key", "create", "alice")
	if r.code != 2 || !strings.Contains(r.stderr, "key create: a key named alice exists already (GK") ||
		!strings.Contains(r.stderr, "--force") || strings.Count(r.stderr, "\n") != 2 {
		t.Fatalf("second key create alice: exit %d, stderr %q", r.code, r.stderr)
	}
	keys, _ := h.backend.ListKeys(t.Context())
	if len(keys) != 1 {
		t.Fatalf("%d keys after the refused create, want 1", len(keys))
	}

	// --force makes a second one; name-based commands then say the name is
	// ambiguous and list both ids.
	h.mustRun(t, "key", "create", "alice", "--force")
	keys, _ = h.backend.ListKeys(t.Context())
	if len(keys) != 2 {
		t.Fatalf("%d keys after --force, want 2", len(keys))
	}
	for _, args := range [][]string{
		{"key", "info", "alice"},
		{"key", "allow", "--create-bucket", "alice"},
		{"key", "delete", "alice", "--yes"},
	} {
		r := h.run(t, args...)
		if r.code != 1 || !strings.Contains(r.stderr, "2 keys are named alice (") ||
			!strings.Contains(r.stderr, keys[0].ID) || !strings.Contains(r.stderr, keys[1].ID) ||
			!strings.Contains(r.stderr, "give the key id") || strings.Count(r.stderr, "\n") != 1 {
			t.Errorf("%q: exit %d, stderr %q", args, r.code, r.stderr)
		}
	}
	// The id still works.
	h.mustRun(t, "key", "info", keys[0].ID)

	// rename and import refuse a taken name too.
	h.mustRun(t, "key", "create", "bob")
	if r := h.run(t, "key", "rename", "bob", "alice"); r.code != 2 || !strings.Contains(r.stderr, "2 keys are named alice already") {
		t.Errorf("rename to a taken name: exit %d, %q", r.code, r.stderr)
	}
	if r := h.run(t, "key", "import", "GK0123456789abcdef01234567", "secret", "--name", "bob"); r.code != 2 || !strings.Contains(r.stderr, "a key named bob exists already") {
		t.Errorf("import with a taken name: exit %d, %q", r.code, r.stderr)
	}
	h.mustRun(t, "key", "rename", "bob", "bob") // its own name is no conflict
}

// key list --json and key info --json name the id the same way.
func TestKeyJSONFieldNames(t *testing.T) {
	h := mustHarness(t)
	var created struct {
		AccessKeyID string `json:"accessKeyId"`
	}
	if err := json.Unmarshal([]byte(h.mustRun(t, "key", "create", "carol", "--json")), &created); err != nil || created.AccessKeyID == "" {
		t.Fatalf("key create --json: %v %+v", err, created)
	}
	var list []map[string]any
	if err := json.Unmarshal([]byte(h.mustRun(t, "key", "list", "--json")), &list); err != nil {
		t.Fatal(err)
	}
	if len(list) != 1 || list[0]["accessKeyId"] != created.AccessKeyID || list[0]["name"] != "carol" {
		t.Errorf("key list --json: %v, want accessKeyId %s", list, created.AccessKeyID)
	}
	if _, ok := list[0]["id"]; ok {
		t.Errorf("key list --json still says id: %v", list[0])
	}
	var info map[string]any
	if err := json.Unmarshal([]byte(h.mustRun(t, "key", "info", "carol", "--json")), &info); err != nil {
		t.Fatal(err)
	}
	if info["accessKeyId"] != created.AccessKeyID {
		t.Errorf("key info --json: %v", info)
	}
}

func TestVersionFlag(t *testing.T) {
	h := &harness{env: map[string]string{}}
	for _, args := range [][]string{{"--version"}, {"version"}} {
		r := h.runRaw(t, args...)
		if r.code != 0 || r.stdout != "garage-web "+version+"\n" || r.stderr != "" {
			t.Errorf("%q: exit %d, stdout %q, stderr %q", args, r.code, r.stdout, r.stderr)
		}
	}
	if version == "" {
		t.Error("empty version")
	}
}

// Changing one website setting keeps the others.
func TestBucketWebsiteKeepsOtherSettings(t *testing.T) {
	h := mustHarness(t)
	h.mustRun(t, "bucket", "create", "blog")
	h.mustRun(t, "bucket", "website", "--allow", "blog", "--index-document", "home.html", "--error-document", "404.html", "--uploads")
	out := h.mustRun(t, "bucket", "website", "--allow", "blog", "--error-document", "oops.html")
	if want := "(index document home.html, error document oops.html, HTTP PUT uploads accepted)"; !strings.Contains(out, want) {
		t.Errorf("changing the error document: %q, want %q", out, want)
	}
	info := h.mustRun(t, "bucket", "info", "blog")
	if want := "enabled, index document home.html, error document oops.html, HTTP PUT uploads accepted"; !strings.Contains(info, want) {
		t.Errorf("bucket info: %q, want %q", info, want)
	}
	out = h.mustRun(t, "bucket", "website", "--allow", "blog", "--uploads=false", "--error-document", "")
	if want := "(index document home.html)."; !strings.Contains(out, want) {
		t.Errorf("turning uploads and the error document off: %q, want %q", out, want)
	}
}

func TestBucketCreateInvalidName(t *testing.T) {
	h := mustHarness(t)
	r := h.run(t, "bucket", "create", "Bad_Name")
	if r.code != 1 || r.stderr != "garage-web: invalid bucket name Bad_Name: use 3 to 63 lower-case letters, digits, dots and hyphens, starting and ending with a letter or digit\n" {
		t.Errorf("exit %d, stderr %q", r.code, r.stderr)
	}
}
