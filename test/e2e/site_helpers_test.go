package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"os/exec"
	"sort"
	"strings"
	"testing"
	"time"
)

// siteCmd is `garage-web -c CONFIG args...` with k's access key in the
// environment, as users run the site commands.
func (n *Node) siteCmd(ctx context.Context, k Key, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, garageBin, append([]string{"-c", n.ConfigPath}, args...)...)
	cmd.Env = cleanEnv("AWS_ACCESS_KEY_ID="+k.ID, "AWS_SECRET_ACCESS_KEY="+k.Secret)
	cmd.WaitDelay = 5 * time.Second
	return cmd
}

// TrySite runs a site command with k's key.
func (n *Node) TrySite(k Key, args ...string) (stdout, stderr string, err error) {
	ctx, cancel := context.WithTimeout(context.Background(), cliTimeout)
	defer cancel()
	cmd := n.siteCmd(ctx, k, args...)
	var o, e bytes.Buffer
	cmd.Stdout, cmd.Stderr = &o, &e
	err = cmd.Run()
	return o.String(), e.String(), err
}

// Site runs a site command and fails the test unless it exits 0.
func (n *Node) Site(t testing.TB, k Key, args ...string) (stdout, stderr string) {
	t.Helper()
	o, e, err := n.TrySite(k, args...)
	if err != nil {
		t.Fatalf("garage-web %s: %v\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), err, o, e)
	}
	return o, e
}

// deployOut is the --json contract of `site deploy`.
type deployOut struct {
	ID       string `json:"id"`
	Live     bool   `json:"live"`
	Files    int    `json:"files"`
	Uploaded int    `json:"uploaded"`
}

// deploy runs `site deploy DIR SITE --json extra...` and checks the exact
// JSON shape.
func (n *Node) deploy(t testing.TB, k Key, dir, site string, extra ...string) (deployOut, string) {
	t.Helper()
	o, e := n.Site(t, k, append([]string{"site", "deploy", dir, site, "--json"}, extra...)...)
	requireKeys(t, o, "files", "id", "live", "uploaded")
	var d deployOut
	if err := json.Unmarshal([]byte(o), &d); err != nil {
		t.Fatalf("site deploy --json: %v: %q", err, o)
	}
	for _, c := range d.ID {
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9') {
			t.Fatalf("deploy id %q is not lower-case letters and digits", d.ID)
		}
	}
	if d.ID == "" {
		t.Fatalf("empty deploy id: %q", o)
	}
	return d, e
}

// requireKeys checks that the JSON object doc has exactly keys.
func requireKeys(t testing.TB, doc string, keys ...string) {
	t.Helper()
	var m map[string]json.RawMessage
	if err := json.Unmarshal([]byte(doc), &m); err != nil {
		t.Fatalf("not a JSON object (%v): %q", err, doc)
	}
	var got []string
	for k := range m {
		got = append(got, k)
	}
	sort.Strings(got)
	if strings.Join(got, ",") != strings.Join(keys, ",") {
		t.Fatalf("JSON keys %v, want %v: %s", got, keys, doc)
	}
}

// deploysOut is one entry of `site deploys --json`.
type deploysOut struct {
	ID      string `json:"id"`
	Live    bool   `json:"live"`
	Time    string `json:"time"`
	Files   int    `json:"files"`
	Message string `json:"message"`
}

func (n *Node) deploys(t testing.TB, k Key, site string) []deploysOut {
	t.Helper()
	o, _ := n.Site(t, k, "site", "deploys", site, "--json")
	var raw []json.RawMessage
	if err := json.Unmarshal([]byte(o), &raw); err != nil {
		t.Fatalf("site deploys --json: %v: %q", err, o)
	}
	out := make([]deploysOut, len(raw))
	for i, r := range raw {
		requireKeys(t, string(r), "files", "id", "live", "message", "time")
		if err := json.Unmarshal(r, &out[i]); err != nil {
			t.Fatal(err)
		}
		if _, err := time.Parse(time.RFC3339, out[i].Time); err != nil {
			t.Fatalf("time %q is not RFC 3339", out[i].Time)
		}
	}
	return out
}
