package e2e

// Replicated runs of the SDK suites. With GARAGE_WEB_E2E_CLUSTER=N (N ≥ 3)
// the suites that opt in through newReplicatedSDKEnv run against N real
// garage-web processes formed into one cluster (replication factor 3, one
// zone per node, a shared rpc_secret), with every SDK request sent to the
// next node in turn: a PUT through one node is read back, listed, copied and
// completed through the others. Every other test keeps its single node.
//
//	GARAGE_WEB_E2E_CLUSTER=3 go test -count=1 -run '^TestSDK(Object|List|...)' ./test/e2e/
//
// `make e2e-cluster` runs the suites that opt in.

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Cluster settings and the bounds of forming one.
const (
	clusterEnv      = "GARAGE_WEB_E2E_CLUSTER"
	clusterRF       = 3
	clusterCapacity = "1G"
	formTimeout     = 90 * time.Second // join, layout applied and seen, healthy
	adminTimeout    = 10 * time.Second // one admin API request
	pollInterval    = 100 * time.Millisecond
)

// clusterSize is the number of nodes GARAGE_WEB_E2E_CLUSTER asks for: 1
// when it is unset, empty or "1". Anything else than 1 or an integer ≥ RF
// fails the test, so a typo never silently runs single-node.
func clusterSize(t testing.TB) int {
	t.Helper()
	v := strings.TrimSpace(os.Getenv(clusterEnv))
	if v == "" || v == "1" {
		return 1
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < clusterRF {
		t.Fatalf("%s=%q: want 1 (a single node) or a node count ≥ %d (the replication factor)", clusterEnv, v, clusterRF)
	}
	return n
}

// idAtAddr is "ID@ADDR" as `garage-web node id` prints it.
var idAtAddr = regexp.MustCompile(`\b([0-9a-f]{64})@(\S+)`)

// startCluster starts size garage-web processes on 127.0.0.1 (own ports
// each), replication factor 3, one zone per node ("z0", "z1", ...), one
// rpc_secret; node 0 connects to the others, assigns every node a zone and
// a capacity and applies the layout; it returns once every node reports that
// layout version and a healthy cluster. Each node's cleanup kills it and,
// if the test failed, prints its log tail.
func startCluster(t testing.TB, size int, o NodeOptions) []*Node {
	t.Helper()
	start := time.Now()
	r := nodeReplication{Factor: clusterRF, Secret: randHex(t, 32)}
	// One allocation for every node: ports picked for different nodes one
	// after the other could repeat, since each pick frees its ports again.
	ports := freePorts(t, size*nodePorts)
	nodes := make([]*Node, size)
	for i := range nodes {
		nodes[i] = newNode(t, fmt.Sprintf("n%d", i), ports[i*nodePorts:(i+1)*nodePorts], o, r)
	}
	for _, n := range nodes {
		n.Start(t)
	}
	ctx, cancel := context.WithTimeout(context.Background(), formTimeout)
	defer cancel()

	ids := make([]string, size)
	for i, n := range nodes {
		out := n.CLI(t, "node", "id")
		m := idAtAddr.FindStringSubmatch(out)
		if m == nil {
			t.Fatalf("%s: `node id` printed %q, want ID@ADDR with a 64-hex id", n.name, strings.TrimSpace(out))
		}
		ids[i] = m[1]
	}
	n0 := nodes[0]
	for i, n := range nodes[1:] {
		n0.CLI(t, "node", "connect", ids[i+1]+"@"+n.RPCAddr)
	}
	for _, n := range nodes {
		waitCluster(t, ctx, n, "every node up", func(ctx context.Context) error {
			return n.allUp(ctx, ids)
		})
	}
	joined := time.Since(start)

	for i, id := range ids {
		n0.CLI(t, "layout", "assign", "-z", fmt.Sprintf("z%d", i), "--capacity", clusterCapacity, id)
	}
	cur, err := n0.layoutVersion(ctx)
	if err != nil {
		t.Fatal(err)
	}
	v := cur + 1
	n0.CLI(t, "layout", "apply", "--version", strconv.FormatUint(v, 10))
	for _, n := range nodes {
		waitCluster(t, ctx, n, fmt.Sprintf("layout v%d and a healthy cluster", v), func(ctx context.Context) error {
			return n.hasLayout(ctx, v, size)
		})
	}
	t.Logf("%d-node cluster (RF %d, layout v%d) formed in %v (all up after %v): S3 on %s", size, clusterRF, v,
		time.Since(start).Round(time.Millisecond), joined.Round(time.Millisecond), s3Addrs(nodes))
	return nodes
}

func s3Addrs(nodes []*Node) string {
	var s []string
	for _, n := range nodes {
		s = append(s, n.name+"="+n.S3Addr)
	}
	return strings.Join(s, " ")
}

// waitCluster polls cond on n until it returns nil, or fails the test with
// cond's last error when ctx ends.
func waitCluster(t testing.TB, ctx context.Context, n *Node, what string, cond func(context.Context) error) {
	t.Helper()
	tick := time.NewTicker(pollInterval)
	defer tick.Stop()
	for {
		err := cond(ctx)
		if err == nil {
			return
		}
		select {
		case <-ctx.Done():
			t.Fatalf("%s: waiting for %s: %v (last: %v)", n.name, what, ctx.Err(), err)
		case <-tick.C:
		}
	}
}

// allUp is nil once n reports every node of ids up.
func (n *Node) allUp(ctx context.Context, ids []string) error {
	var st struct {
		Nodes []struct {
			ID   string `json:"id"`
			IsUp bool   `json:"isUp"`
		} `json:"nodes"`
	}
	if err := n.adminGET(ctx, "/v2/GetClusterStatus", &st); err != nil {
		return err
	}
	up := map[string]bool{}
	for _, p := range st.Nodes {
		up[p.ID] = p.IsUp
	}
	for _, id := range ids {
		if !up[id] {
			return fmt.Errorf("node %.8s not up", id)
		}
	}
	return nil
}

// hasLayout is nil once n has layout version v (or later) with storage
// storage nodes, all up, and every partition with all of its nodes up.
func (n *Node) hasLayout(ctx context.Context, v uint64, storage int) error {
	got, err := n.layoutVersion(ctx)
	if err != nil {
		return err
	}
	if got < v {
		return fmt.Errorf("at layout v%d", got)
	}
	var h struct {
		Status          string `json:"status"`
		StorageNodes    int    `json:"storageNodes"`
		StorageNodesUp  int    `json:"storageNodesUp"`
		Partitions      int    `json:"partitions"`
		PartitionsAllOk int    `json:"partitionsAllOk"`
	}
	if err := n.adminGET(ctx, "/v2/GetClusterHealth", &h); err != nil {
		return err
	}
	if h.Status != "healthy" || h.StorageNodes != storage || h.StorageNodesUp != storage ||
		h.Partitions == 0 || h.PartitionsAllOk != h.Partitions {
		return fmt.Errorf("health %+v", h)
	}
	return nil
}

// layoutVersion is the version of the layout n has applied.
func (n *Node) layoutVersion(ctx context.Context) (uint64, error) {
	var l struct {
		Version uint64 `json:"version"`
	}
	err := n.adminGET(ctx, "/v2/GetClusterLayout", &l)
	return l.Version, err
}

// adminGET decodes the JSON answer of an admin API GET into out; any
// status but 200 is an error.
func (n *Node) adminGET(ctx context.Context, path string, out any) error {
	ctx, cancel := context.WithTimeout(ctx, adminTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+n.AdminAddr+path, nil)
	if err != nil {
		return fmt.Errorf("%s: GET %s: %w", n.name, path, err)
	}
	req.Header.Set("Authorization", "Bearer "+n.AdminToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("%s: GET %s: %w", n.name, path, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return fmt.Errorf("%s: GET %s: reading body: %w", n.name, path, err)
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s: GET %s: %s: %s", n.name, path, resp.Status, clip(string(body)))
	}
	if err := json.Unmarshal(body, out); err != nil {
		return fmt.Errorf("%s: GET %s: %w: %s", n.name, path, err, clip(string(body)))
	}
	return nil
}
