package cluster

import (
	"context"
	"net"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// singleNode is one node with replication factor 1 and no peers: what the
// binary could run before clustering, used by the harness self-tests.
func singleNode(t testing.TB, ip, ns string, dial func(context.Context, string, string) (net.Conn, error)) *Node {
	t.Helper()
	c := &Cluster{Secret: randHex(32), opts: ClusterOptions{ReplicationFactor: 1}}
	dir := filepath.Join(t.TempDir(), "n0")
	cfg := c.baseConfig(dir, ip)
	n, err := newNode("n0", dir, cfg, ns, dial)
	must(t, err)
	c.Nodes = []*Node{n}
	t.Cleanup(func() { c.shutdown(t) })
	return n
}

// TestNodeProcessLifecycle drives one real garage-web process through the
// harness: start (health), CLI with a deadline, S3 client (path style,
// region garage), SIGTERM stop, start again (data kept), SIGKILL, restart,
// admin GET, and a config change seen on restart.
func TestNodeProcessLifecycle(t *testing.T) {
	t.Parallel()
	ctx := testCtx(t, 2*time.Minute)
	n := singleNode(t, loopbackAddrs(t, 1)[0], "", nil)
	must(t, n.Start(ctx))
	if !n.Running() {
		t.Fatal("Running() false after Start")
	}
	if err := n.Start(ctx); err == nil {
		t.Fatal("second Start of a running node succeeded")
	}
	k, err := n.NewKey(ctx, "selftest")
	must(t, err)
	s3c := n.S3(k)
	_, err = s3c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("selftest")})
	must(t, err)
	body := []byte("kept across SIGTERM and SIGKILL")
	must(t, putObject(ctx, s3c, "selftest", "k", body))

	must(t, n.Stop())
	if n.Running() {
		t.Fatal("Running() true after Stop")
	}
	if err := n.Stop(); err == nil {
		t.Fatal("Stop of a stopped node succeeded")
	}
	must(t, n.Start(ctx))
	got, err := getObject(ctx, n.S3(k), "selftest", "k")
	must(t, err)
	if string(got) != string(body) {
		t.Fatalf("after SIGTERM+start: %q", got)
	}
	if _, err := getObject(ctx, n.S3(k), "selftest", "missing"); !isNotFound(err) {
		t.Fatalf("GET of a missing key: %v (status %d)", err, httpStatus(err))
	}

	must(t, n.Kill())
	if n.Running() {
		t.Fatal("Running() true after Kill")
	}
	// A config change (a new S3 region would break signing; change the admin
	// token instead) is seen on the next start.
	tok := randHex(16)
	must(t, n.UpdateConfig(func(c *nodeConfig) { c.Admin.AdminToken = tok }))
	must(t, n.Start(ctx))
	must(t, n.Restart(ctx))
	if _, err := n.AdminGET(ctx, "/health"); err != nil {
		t.Fatal(err)
	}
	if n.Config().Admin.AdminToken != tok {
		t.Fatal("UpdateConfig did not keep the new token")
	}
	got, err = getObject(ctx, n.S3(k), "selftest", "k")
	must(t, err)
	if string(got) != string(body) {
		t.Fatalf("after SIGKILL+start+restart: %q", got)
	}
	// CLI deadlines: an immediately-expired context fails fast.
	expired, cancel := context.WithDeadline(ctx, time.Now().Add(-time.Second))
	defer cancel()
	if _, err := n.CLI(expired, "key", "list"); err == nil {
		t.Fatal("CLI with an expired context succeeded")
	}
	t.Logf("start/health, CLI, S3 PUT/GET/404, SIGTERM stop, restart, SIGKILL, config change, CLI deadline: ok")
}

// TestNodeInNetns runs a real garage-web inside a network namespace and
// reaches its admin and S3 endpoints from the hub through the harness's
// dialer, its CLI through `ip netns exec`; then cuts and heals its link.
func TestNodeInNetns(t *testing.T) {
	t.Parallel()
	nw := newNetns(t)
	ip, err := nw.AddHost("n0")
	must(t, err)
	ctx := testCtx(t, 2*time.Minute)
	n := singleNode(t, ip, nw.HostNS("n0"), nw.DialContext)
	must(t, n.Start(ctx))
	k, err := n.NewKey(ctx, "selftest")
	must(t, err)
	_, err = n.S3(k).CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("selftest")})
	must(t, err)
	must(t, nw.Cut("n0"))
	short, cancel := context.WithTimeout(ctx, 3*time.Second)
	_, err = n.AdminGET(short, "/health")
	cancel()
	if err == nil {
		t.Fatal("admin reachable through a cut link")
	}
	must(t, nw.Heal("n0"))
	must(t, waitFor(ctx, "admin after heal", func(ctx context.Context) error {
		short, cancel := context.WithTimeout(ctx, 2*time.Second)
		defer cancel()
		_, err := n.AdminGET(short, "/health")
		return err
	}))
	must(t, putObject(ctx, n.S3(k), "selftest", "k", []byte("x")))
	must(t, n.Kill())
	t.Logf("node in netns %s at %s: health, CLI, S3 from the hub, cut, heal, kill: ok", nw.HostNS("n0"), net.JoinHostPort(ip, strconv.Itoa(portS3)))
}
