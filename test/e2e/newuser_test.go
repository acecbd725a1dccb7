package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// What a new user tripped on (issue 10): the CLI finds the node through
// the same configuration search path as the server, the banner says how,
// the first key's secret is not printed when stdout is not a terminal,
// and website settings set over S3 survive the CLI and the admin API.

// startInDir runs `garage-web server` with no -c in n.Dir (which holds
// garage-web.toml), stdout and stderr to files, and waits for /health and
// the banner. It returns the banner output.
func startInDir(t *testing.T, n *Node) string {
	t.Helper()
	stdoutPath := filepath.Join(n.Dir, "stdout")
	out, err := os.Create(stdoutPath)
	if err != nil {
		t.Fatal(err)
	}
	logf, err := os.Create(n.logPath)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(garageBin, "server")
	cmd.Dir = n.Dir
	cmd.Env = envWithoutGarage()
	cmd.Stdout, cmd.Stderr = out, logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { cmd.Wait(); out.Close(); logf.Close(); close(done) }()
	t.Cleanup(func() {
		syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		<-done
	})
	deadline := time.Now().Add(readyTimeout)
	client := &http.Client{Timeout: time.Second}
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-done:
			t.Fatalf("garage-web exited before it was ready; log:\n%s", n.LogTail())
		case <-tick.C:
		}
		banner, _ := os.ReadFile(stdoutPath)
		if resp, err := client.Get("http://" + n.AdminAddr + "/health"); err == nil {
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK && bytes.Contains(banner, []byte("\n  CLI ")) && bytes.Contains(banner, []byte("key info default")) {
				return string(banner)
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("no /health 200 and banner after %v; stdout:\n%s\nlog:\n%s", readyTimeout, banner, n.LogTail())
		}
	}
}

// envWithoutGarage is the environment without GARAGE_* settings, so that
// only the configuration search path decides.
func envWithoutGarage(extra ...string) []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "GARAGE_") {
			env = append(env, kv)
		}
	}
	return append(env, extra...)
}

// cliIn runs the CLI with no -c in dir.
func cliIn(t *testing.T, dir string, env []string, args ...string) (string, string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), cliTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, garageBin, args...)
	cmd.Dir, cmd.Env = dir, env
	cmd.WaitDelay = 5 * time.Second
	var o, e bytes.Buffer
	cmd.Stdout, cmd.Stderr = &o, &e
	err := cmd.Run()
	return o.String(), e.String(), err
}

func TestConfigSearchPathAndBanner(t *testing.T) {
	n := newNode(t, "", freePorts(t, nodePorts), NodeOptions{}, nodeReplication{Factor: 1, Secret: randHex(t, 32)})
	banner := startInDir(t, n)

	// From the node's directory the CLI needs no flag: ./garage-web.toml.
	out, errOut, err := cliIn(t, n.Dir, envWithoutGarage(), "key", "info", "default", "--show-secret", "--json")
	if err != nil {
		t.Fatalf("key info default from the node's directory: %v\n%s", err, errOut)
	}
	var k struct {
		AccessKeyID     string `json:"accessKeyId"`
		SecretAccessKey string `json:"secretAccessKey"`
	}
	if err := json.Unmarshal([]byte(out), &k); err != nil || k.SecretAccessKey == "" {
		t.Fatalf("key info --json: %v %q", err, out)
	}
	// stdout is a file here, as under systemd: no secret, how to see it.
	if strings.Contains(banner, k.SecretAccessKey) {
		t.Errorf("the banner printed the secret key to a non-terminal:\n%s", banner)
	}
	if !strings.Contains(banner, "garage-web key info default --show-secret") || !strings.Contains(banner, k.AccessKeyID) {
		t.Errorf("the banner does not say how to reveal the first key:\n%s", banner)
	}
	if want := "CLI        run `garage-web COMMAND` from this directory (./garage-web.toml), elsewhere `garage-web -c " + n.ConfigPath + " COMMAND`"; !strings.Contains(banner, want) {
		t.Errorf("the banner does not say how the CLI finds the node (%q):\n%s", want, banner)
	}

	// Elsewhere, $GARAGE_CONFIG (or its older name) names the file.
	elsewhere := t.TempDir()
	for _, name := range []string{"GARAGE_CONFIG", "GARAGE_CONFIG_FILE"} {
		if _, e, err := cliIn(t, elsewhere, envWithoutGarage(name+"="+n.ConfigPath), "key", "list"); err != nil {
			t.Errorf("key list with %s from another directory: %v\n%s", name, err, e)
		}
	}
	// --version works without any configuration.
	if o, _, err := cliIn(t, elsewhere, envWithoutGarage(), "--version"); err != nil || !strings.HasPrefix(o, "garage-web ") {
		t.Errorf("--version: %v %q", err, o)
	}
}

// Routing rules set over S3 survive `bucket website --allow` and the admin
// API's UpdateBucket; `bucket info` shows them.
func TestWebsiteRoutingRulesKept(t *testing.T) {
	n := startNode(t)
	k := n.NewKey(t, "site-owner")
	n.CreateBucket(t, "rules", k)
	c := n.S3(k)
	ctx := context.Background()
	_, err := c.PutBucketWebsite(ctx, &s3.PutBucketWebsiteInput{
		Bucket: aws.String("rules"),
		WebsiteConfiguration: &s3types.WebsiteConfiguration{
			IndexDocument: &s3types.IndexDocument{Suffix: aws.String("index.html")},
			ErrorDocument: &s3types.ErrorDocument{Key: aws.String("404.html")},
			RoutingRules: []s3types.RoutingRule{{
				Condition: &s3types.Condition{KeyPrefixEquals: aws.String("docs/")},
				Redirect:  &s3types.Redirect{ReplaceKeyPrefixWith: aws.String("documents/"), HttpRedirectCode: aws.String("302")},
			}},
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	check := func(step, index, errDoc string) {
		t.Helper()
		got, err := c.GetBucketWebsite(ctx, &s3.GetBucketWebsiteInput{Bucket: aws.String("rules")})
		if err != nil {
			t.Fatalf("%s: GetBucketWebsite: %v", step, err)
		}
		if aws.ToString(got.IndexDocument.Suffix) != index || got.ErrorDocument == nil || aws.ToString(got.ErrorDocument.Key) != errDoc {
			t.Errorf("%s: index %q error %v, want %q and %q", step, aws.ToString(got.IndexDocument.Suffix), got.ErrorDocument, index, errDoc)
		}
		if len(got.RoutingRules) != 1 || aws.ToString(got.RoutingRules[0].Redirect.ReplaceKeyPrefixWith) != "documents/" ||
			aws.ToString(got.RoutingRules[0].Condition.KeyPrefixEquals) != "docs/" {
			t.Errorf("%s: routing rules lost: %+v", step, got.RoutingRules)
		}
	}
	check("after PutBucketWebsite", "index.html", "404.html")

	n.CLI(t, "bucket", "website", "rules", "--allow", "--index-document", "home.html")
	check("after bucket website --allow --index-document", "home.html", "404.html")
	info := n.CLI(t, "bucket", "info", "rules")
	for _, want := range []string{"index document home.html, error document 404.html, 1 routing rule", "1. keys starting with docs/ → redirect 302, prefix replaced by documents/"} {
		if !strings.Contains(info, want) {
			t.Errorf("bucket info does not show %q:\n%s", want, info)
		}
	}
	var js struct {
		ID            string `json:"id"`
		WebsiteConfig struct {
			RoutingRules []map[string]string `json:"routingRules"`
		} `json:"websiteConfig"`
	}
	if err := json.Unmarshal([]byte(n.CLI(t, "bucket", "info", "rules", "--json")), &js); err != nil {
		t.Fatal(err)
	}
	if len(js.WebsiteConfig.RoutingRules) != 1 || js.WebsiteConfig.RoutingRules[0]["keyPrefixEquals"] != "docs/" {
		t.Errorf("bucket info --json routingRules: %v", js.WebsiteConfig.RoutingRules)
	}

	// The admin API directly.
	body := `{"websiteAccess":{"enabled":true,"indexDocument":"start.html","errorDocument":"oops.html"}}`
	req, _ := http.NewRequest(http.MethodPost, "http://"+n.AdminAddr+"/v2/UpdateBucket?id="+js.ID, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+n.AdminToken)
	resp, err := (&http.Client{Timeout: 30 * time.Second}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("UpdateBucket: %s %s", resp.Status, b)
	}
	check("after admin UpdateBucket", "start.html", "oops.html")
}
