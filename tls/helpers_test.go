package autotls

import (
	"log/slog"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/garage-web/garage-web/model"
	"github.com/garage-web/garage-web/storage"
	"github.com/garage-web/garage-web/table"
	"github.com/garage-web/garage-web/table/crdt"
)

// placement puts every partition on the same nodes with the given quorums.
type placement struct {
	nodes  []table.Node
	rq, wq int
}

func (p placement) Nodes(table.PartitionHash) []table.Node { return p.nodes }
func (p placement) ReadQuorum() int                        { return p.rq }
func (p placement) WriteQuorum() int                       { return p.wq }

func discard() *slog.Logger { return slog.New(slog.DiscardHandler) }

// mustCluster opens n in-process nodes, each with its own bbolt database
// and its own model, replicating every table on all of them with
// majority quorums (like a 3-node cluster with replication factor 3).
func mustCluster(t testing.TB, n int) []*model.Model {
	t.Helper()
	dir := t.TempDir()
	locals := make([]*table.Local, n)
	nodes := make([]table.Node, n)
	for i := range n {
		db, err := storage.OpenDB(filepath.Join(dir, "n"+strconv.Itoa(i)))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		if locals[i], err = table.NewLocal("n"+strconv.Itoa(i), db, discard()); err != nil {
			t.Fatal(err)
		}
		nodes[i] = locals[i]
	}
	p := placement{nodes: nodes, rq: n/2 + 1, wq: n/2 + 1}
	models := make([]*model.Model, n)
	locker := &table.LocalLocker{} // shared: the nodes are in one process
	for i := range n {
		m, err := model.Open(model.Config{}, locals[i], p, nil, nil, crdt.NewClock(nil), locker, discard())
		if err != nil {
			t.Fatal(err)
		}
		models[i] = m
	}
	return models
}

// mustModel is a one-node cluster.
func mustModel(t testing.TB) *model.Model { return mustCluster(t, 1)[0] }
