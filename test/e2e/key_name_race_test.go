package e2e

import (
	"encoding/json"
	"strings"
	"sync"
	"testing"
)

// TestKeyNameRace: 16 `key create` of one name at once, spread over the
// three nodes of a cluster, give exactly one key: the node decides (under
// the key-name lock), so CLIs racing cannot both pass a check of their
// own. The losers exit 2 and say the name is taken; --force still makes a
// second key of that name.
func TestKeyNameRace(t *testing.T) {
	nodes := startCluster(t, 3, NodeOptions{})
	type result struct {
		stderr string
		err    error
	}
	results := make([]result, 16)
	var wg sync.WaitGroup
	for i := range results {
		wg.Go(func() {
			_, stderr, err := nodes[i%len(nodes)].TryCLI("key", "create", "racer", "--json")
			results[i] = result{stderr, err}
		})
	}
	wg.Wait()
	won := 0
	for i, r := range results {
		switch {
		case r.err == nil:
			won++
		case !strings.Contains(r.stderr, "a key named racer exists already"):
			t.Errorf("create %d on node %d: %v, stderr %q; want success or the name refused", i, i%len(nodes), r.err, r.stderr)
		}
	}
	if named := keysNamedOn(t, nodes[0], "racer"); won != 1 || named != 1 {
		t.Fatalf("%d creates won, %d keys named racer; want exactly 1 and 1", won, named)
	}
	nodes[1].CLI(t, "key", "create", "racer", "--force")
	if named := keysNamedOn(t, nodes[2], "racer"); named != 2 {
		t.Fatalf("%d keys named racer after --force, want 2", named)
	}
}

// keysNamedOn counts the keys named name that n lists.
func keysNamedOn(t *testing.T, n *Node, name string) int {
	t.Helper()
	var keys []struct {
		Name string `json:"name"`
	}
	if err := json.Unmarshal([]byte(n.CLI(t, "key", "list", "--json")), &keys); err != nil {
		t.Fatal(err)
	}
	c := 0
	for _, k := range keys {
		if k.Name == name {
			c++
		}
	}
	return c
}
