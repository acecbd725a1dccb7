package e2e

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// The examples leave nothing behind: provider_calls.py cleans up and
// passes when run again; nix-cache.sh setup works from its own folder and
// writes its secrets outside the working directory.

func TestMatrixMediaScriptRunsTwice(t *testing.T) {
	n := startNode(t)
	k := n.NewKey(t, "synapse")
	n.CreateBucket(t, "media-twice", k)
	py := n.Boto3(t, k)
	root, err := moduleRoot()
	if err != nil {
		t.Fatal(err)
	}
	script := filepath.Join(root, "examples", "matrix-media", "provider_calls.py")
	work := t.TempDir()
	for run := 1; run <= 2; run++ {
		out, errOut, err := py.Run(script, "media-twice", work)
		if err != nil || !strings.Contains(out, "MATRIX MEDIA OK") {
			t.Fatalf("run %d: %v\nstdout:\n%s\nstderr:\n%s", run, err, clip(out), clip(errOut))
		}
		list, err := n.S3(k).ListObjectsV2(context.Background(), &s3.ListObjectsV2Input{Bucket: aws.String("media-twice")})
		if err != nil {
			t.Fatal(err)
		}
		if len(list.Contents) != 0 {
			t.Errorf("run %d left %d objects, first %s", run, len(list.Contents), aws.ToString(list.Contents[0].Key))
		}
		if left, _ := os.ReadDir(work); len(left) != 0 {
			t.Errorf("run %d left %d entries in its work directory", run, len(left))
		}
	}
}

// A node started with `make run` in a checkout keeps its token in
// data/meta of the checkout; nix-cache.sh, run from examples/nix-cache,
// reaches it from there. The checkout is a copy of the script in a temp
// dir; GARAGE_ADMIN_API_BIND_ADDR points the built-in configuration at
// the test node.
func TestNixCacheSetupFromItsFolder(t *testing.T) {
	if _, err := os.Stat("/etc/garage-web.toml"); err == nil {
		t.Skip("/etc/garage-web.toml exists: the CLI would use it")
	}
	n := startNode(t)
	root, err := moduleRoot()
	if err != nil {
		t.Fatal(err)
	}
	checkout := t.TempDir()
	folder := filepath.Join(checkout, "examples", "nix-cache")
	if err := os.MkdirAll(folder, 0o755); err != nil {
		t.Fatal(err)
	}
	src, err := os.ReadFile(filepath.Join(root, "examples", "nix-cache", "nix-cache.sh"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(folder, "nix-cache.sh"), src, 0o755); err != nil {
		t.Fatal(err)
	}
	writeTree(t, filepath.Join(checkout, "data", "meta"), map[string][]byte{"admin_token": []byte(n.AdminToken + "\n")})
	home := t.TempDir()
	sh := &Tool{
		Name: "nix-cache.sh",
		Path: filepath.Join(folder, "nix-cache.sh"),
		Env: envWithoutGarage(
			"HOME="+home, "XDG_STATE_HOME=",
			"GARAGE_WEB="+garageBin,
			"GARAGE_ADMIN_API_BIND_ADDR="+n.AdminAddr,
		),
		Dir: folder,
	}
	out := sh.Must(t, "setup")
	if !strings.Contains(out, "is ready") {
		t.Errorf("setup output:\n%s", out)
	}
	state := filepath.Join(home, ".local", "state", "garage-web-nix-cache", "nix-cache")
	st, err := os.Stat(state)
	if err != nil {
		t.Fatalf("no state directory %s: %v", state, err)
	}
	if st.Mode().Perm() != 0o700 {
		t.Errorf("state directory mode %v, want 0700", st.Mode().Perm())
	}
	for _, f := range []string{"uploader.env", "netrc"} {
		if st, err := os.Stat(filepath.Join(state, f)); err != nil || st.Mode().Perm() != 0o600 {
			t.Errorf("%s: %v, mode %v", f, err, st)
		}
		if _, err := os.Stat(filepath.Join(folder, f)); err == nil {
			t.Errorf("setup wrote %s into the working directory", f)
		}
	}
	if info := n.CLI(t, "bucket", "info", "nix-cache"); !strings.Contains(info, "HTTP PUT uploads accepted") {
		t.Errorf("bucket info after setup:\n%s", info)
	}
}
