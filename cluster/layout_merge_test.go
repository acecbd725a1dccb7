package cluster

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// randomReplicas runs random layout operations on n copies of one layout
// (stage, remove, change RF, revert, apply, merge a peer's copy) and
// returns the copies.
func randomReplicas(t *testing.T, rng *rand.Rand, n, ops int) []*Layout {
	t.Helper()
	base := mustLayout(t, 1+rng.IntN(2))
	copies := make([]*Layout, n)
	for i := range copies {
		copies[i] = base.Clone()
	}
	for range ops {
		i := rng.IntN(n)
		l := copies[i]
		switch op := rng.IntN(10); {
		case op < 4:
			r := Role{Zone: fmt.Sprintf("z%d", rng.IntN(3)), Capacity: uint64(1+rng.IntN(4)) * 1e11}
			if rng.IntN(5) == 0 {
				r = Role{Zone: "z0", Gateway: true}
			}
			mustStage(t, l, testID(rng.IntN(6)), r)
		case op == 4:
			_ = l.StageRemove(testID(rng.IntN(6))) // may be unknown
		case op == 5:
			if err := l.StageReplicationFactor(1 + rng.IntN(2)); err != nil {
				t.Fatal(err)
			}
		case op == 6:
			l.Revert()
		case op == 7:
			_, _ = l.Apply(l.Version()+1, testTime) // may lack nodes
		default:
			copies[i] = l.Merge(copies[rng.IntN(n)])
		}
	}
	return copies
}

func TestLayoutMergeLaws(t *testing.T) {
	for run := range propertyRuns() {
		rng := rand.New(rand.NewPCG(uint64(run), 11))
		c := randomReplicas(t, rng, 3, 40)
		a, b, d := c[0], c[1], c[2]
		if !a.Merge(b).Equal(b.Merge(a)) {
			t.Fatalf("run %d: merge not commutative", run)
		}
		if !a.Merge(b).Merge(d).Equal(a.Merge(b.Merge(d))) {
			t.Fatalf("run %d: merge not associative", run)
		}
		if !a.Merge(a).Equal(a) {
			t.Fatalf("run %d: merge not idempotent", run)
		}
		if !a.Merge(nil).Equal(a) {
			t.Fatalf("run %d: merge with nil changed the layout", run)
		}
		before := a.Digest()
		_ = a.Merge(b)
		if a.Digest() != before {
			t.Fatalf("run %d: merge modified its receiver", run)
		}
	}
}

func TestLayoutMergeConverges(t *testing.T) {
	for run := range propertyRuns() / 2 {
		rng := rand.New(rand.NewPCG(uint64(run), 12))
		c := randomReplicas(t, rng, 4, 60)
		// Gossip in random order until everybody has heard from everybody.
		for range 3 * len(c) * len(c) {
			i, j := rng.IntN(len(c)), rng.IntN(len(c))
			c[i] = c[i].Merge(c[j])
		}
		for i := range c {
			for j := range c {
				c[i] = c[i].Merge(c[j])
			}
		}
		for i := range c {
			if !c[i].Equal(c[0]) {
				t.Fatalf("run %d: copy %d did not converge", run, i)
			}
		}
	}
}

func TestLayoutMergeHigherVersionWins(t *testing.T) {
	a := mustLayout(t, 1)
	mustStage(t, a, testID(1), Role{Zone: "a", Capacity: 1e12})
	b := a.Merge(nil)
	mustApply(t, a)
	if b.Version() != 0 || !b.HasStagedChanges() {
		t.Fatal("copy changed")
	}
	for _, m := range []*Layout{a.Merge(b), b.Merge(a)} {
		if m.Version() != 1 || m.HasStagedChanges() || len(m.StorageNodes()) != 1 {
			t.Fatalf("merged: version %d staged %v", m.Version(), m.Staged())
		}
	}
}

func TestLayoutMergeSplitBrain(t *testing.T) {
	base := mustLayout(t, 1)
	mustStage(t, base, testID(1), Role{Zone: "a", Capacity: 1e12})
	mustApply(t, base)
	a, b := base.Clone(), base.Clone()
	mustStage(t, a, testID(2), Role{Zone: "a", Capacity: 1e12})
	mustStage(t, b, testID(3), Role{Zone: "b", Capacity: 2e12})
	mustApply(t, a)
	mustApply(t, b)
	ab, ba := a.Merge(b), b.Merge(a)
	if !ab.Equal(ba) || ab.Version() != 2 {
		t.Fatal("split brain did not resolve to one layout")
	}
	loser := testID(3) // the node only the losing side added
	switch {
	case ab.Assignment().Equal(a.Assignment()):
	case ab.Assignment().Equal(b.Assignment()):
		loser = testID(2)
	default:
		t.Fatal("merged assignment is neither side's")
	}
	// The losing side's change is staged again, for the next apply.
	if got := ab.Staged(); len(got) != 1 || got[0].Node != loser {
		t.Fatalf("staged after split brain: %v, want %s", got, loser.Short())
	}
	p := mustApply(t, ab)
	if p.Version != 3 || len(ab.StorageNodes()) != 3 || ab.HasStagedChanges() {
		t.Fatalf("version %d nodes %v", p.Version, ab.StorageNodes())
	}
}

func TestLayoutMergeStaging(t *testing.T) {
	base := mustLayout(t, 1)
	a, b := base.Clone(), base.Clone()
	mustStage(t, a, testID(1), Role{Zone: "a", Capacity: 1e12})
	mustStage(t, b, testID(2), Role{Zone: "b", Capacity: 1e12})
	m := a.Merge(b)
	if got := m.Staged(); len(got) != 2 {
		t.Fatalf("staged %v", got)
	}
	// b, having seen a's staging, overrides it: the later staging wins.
	b = b.Merge(a)
	mustStage(t, b, testID(1), Role{Zone: "c", Capacity: 5e11})
	if got := a.Merge(b).Staged(); len(got) != 2 || got[0].Role.Zone != "c" {
		t.Fatalf("staged %v", got)
	}
	// a applies; a staging b made meanwhile for another node survives,
	// the ones a applied are dropped.
	a = a.Merge(b)
	mustStage(t, b, testID(3), Role{Zone: "d", Capacity: 1e12})
	mustApply(t, a)
	m = b.Merge(a)
	if got := m.Staged(); len(got) != 1 || got[0].Node != testID(3) {
		t.Fatalf("after apply, staged %v", got)
	}
	if m.Version() != 1 || len(m.StorageNodes()) != 2 {
		t.Fatalf("version %d nodes %v", m.Version(), m.StorageNodes())
	}
}

func TestLayoutMergeRevertSpreads(t *testing.T) {
	a := mustLayout(t, 1)
	mustStage(t, a, testID(1), Role{Zone: "a", Capacity: 1e12})
	if err := a.StageReplicationFactor(2); err != nil {
		t.Fatal(err)
	}
	b := a.Clone()
	a.Revert()
	for _, m := range []*Layout{a.Merge(b), b.Merge(a)} {
		if m.HasStagedChanges() {
			t.Fatalf("reverted change came back: %v", m.Staged())
		}
	}
	// A staging made after seeing the revert stays.
	b = b.Merge(a)
	mustStage(t, b, testID(1), Role{Zone: "b", Capacity: 1e12})
	if got := a.Merge(b).Staged(); len(got) != 1 || got[0].Role.Zone != "b" {
		t.Fatalf("staged %v", got)
	}
}
