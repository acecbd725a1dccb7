package node

import (
	"bytes"
	"testing"

	"github.com/garage-web/garage-web/cluster"
)

// Meta is computed once per layout snapshot and follows every change.
func TestLayoutMetaFollowsChanges(t *testing.T) {
	s, err := openLayout(t.TempDir(), 3)
	if err != nil {
		t.Fatal(err)
	}
	m1 := s.Meta()
	if !bytes.Equal(m1, layoutMeta(s.Get())) {
		t.Fatalf("Meta %x, want layoutMeta %x", m1, layoutMeta(s.Get()))
	}
	if m2 := s.Meta(); &m2[0] != &m1[0] {
		t.Errorf("Meta computed again for the same snapshot")
	}
	if _, err := s.Update(func(l *cluster.Layout) error { return l.StageReplicationFactor(2) }); err != nil {
		t.Fatal(err)
	}
	m3 := s.Meta()
	if bytes.Equal(m3, m1) {
		t.Errorf("Meta unchanged after a staged change: %x", m3)
	}
	if !bytes.Equal(m3, layoutMeta(s.Get())) {
		t.Errorf("Meta %x after the change, want layoutMeta %x", m3, layoutMeta(s.Get()))
	}
}
