package node

import (
	"context"
	"encoding/hex"
	"fmt"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/garage-web/garage-web/admin"
	"github.com/garage-web/garage-web/cluster"
	"github.com/garage-web/garage-web/table"
)

// tableSync is the node's anti-entropy: the table syncer, driven by a
// period, by peers coming back and by layout changes (which also use it to
// pull the partitions a change gives this node and to hand over those it
// takes away).
type tableSync struct {
	s     *table.Syncer
	local *table.Local
}

var _ partitionSync = tableSync{}

// openTableSync builds the syncer over the layout's holders of each
// partition and hands it to the cluster part.
func (c *clusterNode) openTableSync(local *table.Local, reg prometheus.Registerer) (tableSync, error) {
	s, err := table.NewSyncer(table.SyncConfig{
		Self:        c.ident.ID,
		Local:       local,
		Caller:      c.peers,
		Alive:       c.alive,
		Holders:     c.holders,
		Interval:    c.cfg.AntiEntropyInterval.D(),
		Tranquility: c.cfg.ResyncTranquility,
		Log:         c.log.With("part", "anti-entropy"),
		Registerer:  reg,
	})
	if err != nil {
		return tableSync{}, err
	}
	ts := tableSync{s: s, local: local}
	c.syncer = ts
	c.onPeerUp = append(c.onPeerUp, s.Trigger)
	return ts, nil
}

// SyncPartition implements partitionSync.
func (t tableSync) SyncPartition(ctx context.Context, p uint8, peers []cluster.NodeID) error {
	_, err := t.s.SyncPartition(ctx, p, peers)
	return err
}

// Offload implements partitionSync.
func (t tableSync) Offload(ctx context.Context, p uint8, to []cluster.NodeID) error {
	return t.s.Offload(ctx, p, to)
}

// HasPartition implements partitionSync: whether any table has an entry of
// partition p on this node.
func (t tableSync) HasPartition(p uint8) bool {
	for _, name := range t.local.Tables() {
		if _, n, err := t.local.MerkleRoot(name, p); err != nil || n > 0 {
			return true // on error, assume there is something to hand over
		}
	}
	return false
}

// TableStatus implements admin.TableStatusBackend.
func (b *backend) TableStatus(ctx context.Context, partitions bool) (admin.NodeTableStatus, error) {
	c, ts := b.cl(), b.n.sync
	l := c.layout.Get()
	st := ts.s.Status()
	out := admin.NodeTableStatus{
		LayoutVersion: l.Version(),
		ReadVersion:   l.ReadVersion(c.ID()),
		WriteVersions: l.WriteVersions(c.ID()),
		SyncRunning:   st.Running,
		PassDone:      st.PassDone,
		PassTotal:     st.PassTotal,
	}
	if !st.LastFullSync.IsZero() {
		t := st.LastFullSync
		out.LastFullSync = &t
	}
	if lz := b.n.leases; lz != nil {
		n := lz.ReadablePartitions()
		out.ReadLeasePartitions = &n
	}
	byName := map[string]table.TableSyncStatus{}
	for _, t := range st.Tables {
		byName[t.Table] = t
	}
	for _, name := range ts.local.Tables() {
		if err := ctx.Err(); err != nil {
			return admin.NodeTableStatus{}, err
		}
		s := byName[name]
		t := admin.TableState{Name: name, PartitionsInSync: s.InSync, PartitionsOutOfSync: s.OutOfSync, EntriesSent: s.Sent, EntriesReceived: s.Received}
		for p := range cluster.NumPartitions {
			root, n, err := ts.local.MerkleRoot(name, uint8(p))
			if err != nil {
				return admin.NodeTableStatus{}, fmt.Errorf("table %s: %w", name, err)
			}
			t.Entries += n
			if partitions && n > 0 {
				t.Partitions = append(t.Partitions, admin.PartitionState{Partition: p, Root: hex.EncodeToString(root[:]), Entries: n})
			}
		}
		out.Tables = append(out.Tables, t)
	}
	return out, nil
}
