package table

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	bolt "go.etcd.io/bbolt"

	"github.com/garage-web/garage-web/cluster"
)

// Garbage collection of tombstones and dead markers (Garage's protocol).
//
// A tombstone must stay until every replica has it, or a replica that
// missed the deletion would bring the entry back through anti-entropy or
// read repair. So when a local change leaves an entry that the GC will
// act on (a tombstone, or an entry Schema.Compact will shrink), apply
// records a to-do item (key, hash of the stored value, time) in the same
// transaction (gc_todo.go). A pass of the GC takes the items older than
// the GC delay whose key still holds a value of that hash and, partition
// by partition:
//
//  1. requires every holder of the partition (GCConfig.Holders: every
//     node of every layout version in use) to be alive, else postpones;
//  2. sends the value to every holder (Update) and needs each one to
//     acknowledge it: each has merged it, so each holds it or something
//     newer;
//  3. asks each holder to delete the entry (tombstone) or to replace it by
//     its compacted form only if its stored value still has the same hash
//     (MethodGCReplace), checked and changed in one local transaction; a
//     holder whose entry changed meanwhile keeps it. This node goes last,
//     and drops its to-do item in the same transaction.
//
// A pass that fails half way (a holder stops answering) keeps the item and
// starts again at the next pass: step 2 gives back the value to a holder
// that already removed it, which is harmless. Any change made meanwhile is
// merged on top of the value and never removed, because its hash differs;
// a later change that leaves a tombstone again records a new item.
//
// # Why the delay
//
// After step 3 no holder has the entry, and a write of an older value that
// was delayed in the network (or a read repair computed before the
// tombstone arrived) would bring the old value back. Writes and repairs
// give up after 30 s, so a GC delay of hours makes that impossible in
// practice; the delay is counted from when this node stored the tombstone.
// It must also exceed the clock skew between nodes where Compact compares
// an entry's own timestamps with the GC's clock.
//
// # Compaction
//
// Compact drops markers that only shadow late writes (superseded and
// aborted versions of an object, for instance) once they are older than
// now minus the delay. It runs with the same protocol: every holder first
// holds the same value H, then each replaces H by the compacted value iff
// its value still hashes to H. Schema.Compact documents why what it keeps
// is enough for any later merge.

// GCConfig configures a GC.
type GCConfig struct {
	// Self is this node.
	Self cluster.NodeID
	// Local is this node's store.
	Local *Local
	// Caller reaches the other holders (nil on a single node).
	Caller Caller
	// Alive reports whether a node is up (nil: every node is).
	Alive func(cluster.NodeID) bool
	// Holders returns every node that holds partition p: the union of its
	// replicas over every layout version in use. A node may be in it.
	Holders func(p uint8) []cluster.NodeID
	// Delay is how long an entry stays a tombstone before it is collected
	// (config gc_delay); it bounds how late a delayed write may arrive.
	Delay time.Duration
	// Interval is the time between passes of Run (default one minute,
	// or Delay if shorter, at least one second).
	Interval time.Duration
	// Log receives what the GC does (default: discarded).
	Log *slog.Logger
	// Registerer, if set, gets the garageweb_table_gc_* metrics.
	Registerer prometheus.Registerer
}

// GCStats counts what one pass did.
type GCStats struct {
	// Collected entries were deleted on every holder.
	Collected int
	// Compacted entries were replaced by their compacted form.
	Compacted int
	// Postponed items wait for a holder that was down or did not answer.
	Postponed int
	// Dropped items were stale: the entry changed since, or the GC has
	// nothing to do with it.
	Dropped int
	// Pending is the length of the to-do list after the pass.
	Pending int
}

func (s *GCStats) add(o GCStats) {
	s.Collected += o.Collected
	s.Compacted += o.Compacted
	s.Postponed += o.Postponed
	s.Dropped += o.Dropped
}

// GC collects tombstones and compacts entries of every table of a Local
// with the other holders of their partitions. Safe for concurrent use;
// passes run one at a time.
type GC struct {
	cfg GCConfig
	log *slog.Logger
	met gcMetrics
	mu  sync.Mutex // one pass at a time
}

// gcBatch bounds how many to-do items (and backfilled keys) one
// transaction reads.
const gcBatch = 1000

// A group (the items of one partition sent in one RPC per holder and
// step) holds at most gcGroupItems items and about gcGroupBytes of values.
const (
	gcGroupItems = 256
	gcGroupBytes = 4 << 20
)

// gcCallTimeout bounds one step's RPC to a holder.
const gcCallTimeout = 30 * time.Second

// NewGC returns the collector of cfg.Local.
func NewGC(cfg GCConfig) (*GC, error) {
	if cfg.Local == nil || cfg.Holders == nil {
		return nil, errors.New("table GC: Local and Holders are required")
	}
	if cfg.Delay <= 0 {
		return nil, errors.New("table GC: the delay must be positive")
	}
	if cfg.Interval <= 0 {
		cfg.Interval = min(time.Minute, cfg.Delay)
	}
	cfg.Interval = max(cfg.Interval, time.Second)
	log := cfg.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	g := &GC{cfg: cfg, log: log.With("component", "table-gc"), met: newGCMetrics()}
	if cfg.Registerer != nil {
		if err := g.met.register(cfg.Registerer); err != nil {
			return nil, fmt.Errorf("table GC metrics: %w", err)
		}
	}
	if err := cfg.Local.db.Update(func(tx *bolt.Tx) error {
		if _, err := tx.CreateBucketIfNotExists(gcTodoBucket); err != nil {
			return err
		}
		_, err := tx.CreateBucketIfNotExists(gcMetaBucket)
		return err
	}); err != nil {
		return nil, fmt.Errorf("table GC: create buckets: %w", err)
	}
	return g, nil
}

// Run backfills the to-do list and runs a pass every Interval until ctx
// ends.
func (g *GC) Run(ctx context.Context) {
	tick := time.NewTicker(g.cfg.Interval)
	defer tick.Stop()
	for {
		if n, err := g.Backfill(ctx); err != nil && ctx.Err() == nil {
			g.log.Warn("listing existing tombstones failed; will retry", "err", err)
		} else if n > 0 {
			g.log.Info("recorded existing tombstones and compactable entries", "count", n)
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		st, err := g.CollectNow(ctx, time.Now())
		switch {
		case err != nil && ctx.Err() == nil:
			g.log.Warn("garbage collection pass failed; will retry", "err", err)
		case st.Collected+st.Compacted > 0:
			g.log.Info("garbage collected", "deleted", st.Collected, "compacted", st.Compacted, "postponed", st.Postponed, "pending", st.Pending)
		case st.Postponed > 0:
			g.log.Debug("garbage collection postponed: a holder is down", "postponed", st.Postponed)
		}
	}
}

// gcPending is a due to-do item with the value its key holds (nil if
// none).
type gcPending struct {
	todo gcTodo
	raw  []byte
}

// CollectNow runs one pass: every to-do item recorded at least Delay
// before now is collected, compacted, postponed or dropped.
func (g *GC) CollectNow(ctx context.Context, now time.Time) (GCStats, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	due := now.Add(-g.cfg.Delay)
	var stats GCStats
	var after []byte
	for {
		if err := ctx.Err(); err != nil {
			return stats, err
		}
		chunk, last, err := g.readDue(due, after)
		if err != nil {
			return stats, err
		}
		if len(chunk) == 0 {
			break
		}
		st, err := g.process(ctx, chunk, now, due)
		stats.add(st)
		if err != nil {
			return stats, err
		}
		after = last
	}
	stats.Pending = g.pending()
	g.met.todo.Set(float64(stats.Pending))
	return stats, nil
}

// readDue reads up to gcBatch due to-do items after the key after.
func (g *GC) readDue(due time.Time, after []byte) ([]gcPending, []byte, error) {
	var out []gcPending
	var last []byte
	err := g.cfg.Local.db.View(func(tx *bolt.Tx) error {
		b := tx.Bucket(gcTodoBucket)
		if b == nil {
			return nil
		}
		c := b.Cursor()
		k, v := c.First()
		if after != nil {
			k, v = c.Seek(after)
			if k != nil && bytes.Equal(k, after) {
				k, v = c.Next()
			}
		}
		for ; k != nil && len(out) < gcBatch; k, v = c.Next() {
			it, err := parseGCTodo(k, v)
			if err != nil {
				return err
			}
			if it.at.After(due) {
				break
			}
			last = it.todoKey
			p := gcPending{todo: it}
			if tb := tx.Bucket([]byte(it.table)); tb != nil {
				if raw := tb.Get(it.key); raw != nil {
					p.raw = bytes.Clone(raw)
				}
			}
			out = append(out, p)
		}
		return nil
	})
	if err != nil {
		return nil, nil, fmt.Errorf("read GC to-do list: %w", err)
	}
	return out, last, nil
}

// gcGroup is the due work of one partition of one table.
type gcGroup struct {
	table string
	part  uint8
	items []gcItem
	todos []gcTodo
	raws  [][]byte
	size  int // bytes of raws and items' values
}

// process plans a chunk of due items and carries out the plan partition
// by partition.
func (g *GC) process(ctx context.Context, chunk []gcPending, now, before time.Time) (GCStats, error) {
	var stats GCStats
	var drop, later []gcTodo
	groups := map[string]*gcGroup{} // the group being filled, by partition
	var order []*gcGroup
	seen := map[string]bool{}
	for _, p := range chunk {
		it := p.todo
		if p.raw == nil {
			drop = append(drop, it)
			continue
		}
		if h := gcHash(p.raw); h != it.hash {
			drop = append(drop, it)
			continue
		}
		t, err := g.cfg.Local.table(it.table)
		if err != nil {
			continue // not registered (yet) on this node: keep the item
		}
		gt, ok := t.(gcTable)
		if !ok {
			drop = append(drop, it)
			continue
		}
		action, enc, err := gt.gcPlan(p.raw, before)
		if err != nil {
			// One entry this version cannot read must not stop the GC.
			g.log.Warn("garbage collection skips an entry it cannot decode", "table", it.table, "err", err)
			drop = append(drop, it)
			continue
		}
		switch action {
		case gcNone:
			drop = append(drop, it)
			continue
		case gcLater:
			later = append(later, it)
			continue
		}
		if len(it.key) == 0 {
			drop = append(drop, it)
			continue
		}
		if sk := it.table + "\x00" + string(it.key); seen[sk] {
			drop = append(drop, it) // the same value twice in one chunk
			continue
		} else {
			seen[sk] = true
		}
		gk := fmt.Sprintf("%s\x00%d", it.table, it.key[0])
		grp, ok := groups[gk]
		if ok && (len(grp.items) >= gcGroupItems || grp.size+len(p.raw)+len(enc) > gcGroupBytes) {
			ok = false // one RPC of bounded size: start another
		}
		if !ok {
			grp = &gcGroup{table: it.table, part: it.key[0]}
			groups[gk] = grp
			order = append(order, grp)
		}
		grp.size += len(p.raw) + len(enc)
		grp.items = append(grp.items, gcItem{Key: it.key, Hash: bytes.Clone(it.hash[:]), Value: enc})
		grp.todos = append(grp.todos, it)
		grp.raws = append(grp.raws, p.raw)
	}
	stats.Dropped += len(drop)
	if err := g.cfg.Local.db.Update(func(tx *bolt.Tx) error {
		if err := dropGCTodos(tx, drop); err != nil {
			return err
		}
		// Not compactable yet (markers newer than the delay): look again
		// one delay from now.
		if err := dropGCTodos(tx, later); err != nil {
			return err
		}
		for _, it := range later {
			if err := tx.Bucket(gcTodoBucket).Put(gcTodoKey(now, it.table, it.key), it.hash[:]); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		return stats, fmt.Errorf("update GC to-do list: %w", err)
	}
	for _, grp := range order {
		st, err := g.collect(ctx, grp)
		stats.add(st)
		if err != nil {
			return stats, err
		}
	}
	return stats, nil
}

// collect runs the protocol for one partition's items.
func (g *GC) collect(ctx context.Context, grp *gcGroup) (GCStats, error) {
	var stats GCStats
	postpone := func(reason string, err error) (GCStats, error) {
		stats.Postponed = len(grp.items)
		g.met.postponed.WithLabelValues(grp.table).Add(float64(len(grp.items)))
		g.log.Debug("garbage collection postponed", "table", grp.table, "partition", grp.part, "reason", reason, "err", err)
		return stats, nil
	}
	holders := g.cfg.Holders(grp.part)
	if len(holders) == 0 {
		return postpone("no layout", nil)
	}
	var remotes []cluster.NodeID
	for _, h := range holders {
		if h == g.cfg.Self || slices.Contains(remotes, h) {
			continue
		}
		if g.cfg.Alive != nil && !g.cfg.Alive(h) {
			return postpone("holder "+h.Short()+" down", nil)
		}
		remotes = append(remotes, h)
	}
	if len(remotes) > 0 && g.cfg.Caller == nil {
		return stats, errors.New("table GC: other holders but no Caller")
	}
	// Step 2: every holder merges the value.
	if err := g.eachRemote(ctx, remotes, func(ctx context.Context, to cluster.NodeID) error {
		_, err := NewRemote(to, g.cfg.Caller).Update(ctx, grp.table, grp.raws)
		return err
	}); err != nil {
		return postpone("a holder did not take the value", err)
	}
	// Step 3: every holder replaces or deletes it if still equal, this
	// node last.
	if err := g.eachRemote(ctx, remotes, func(ctx context.Context, to cluster.NodeID) error {
		_, err := gcReplaceRemote(ctx, g.cfg.Caller, to, grp.table, grp.items)
		return err
	}); err != nil {
		return postpone("a holder did not answer the replacement", err)
	}
	done, err := g.cfg.Local.replaceIfEqual(grp.table, grp.items, grp.todos)
	if err != nil {
		return stats, err
	}
	for i, d := range done {
		switch {
		case !d:
			stats.Dropped++ // changed here meanwhile: that change decides
		case grp.items[i].Value == nil:
			stats.Collected++
		default:
			stats.Compacted++
		}
	}
	g.met.collected.WithLabelValues(grp.table).Add(float64(stats.Collected))
	g.met.compacted.WithLabelValues(grp.table).Add(float64(stats.Compacted))
	return stats, nil
}

// eachRemote calls fn for every node at once and returns the errors.
func (g *GC) eachRemote(ctx context.Context, nodes []cluster.NodeID, fn func(context.Context, cluster.NodeID) error) error {
	errs := make([]error, len(nodes))
	var wg sync.WaitGroup
	for i, n := range nodes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			cctx, cancel := context.WithTimeout(ctx, gcCallTimeout)
			defer cancel()
			if err := fn(cctx, n); err != nil {
				errs[i] = fmt.Errorf("node %s: %w", n.Short(), err)
			}
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}

// pending returns the length of the to-do list.
func (g *GC) pending() int {
	n := 0
	_ = g.cfg.Local.db.View(func(tx *bolt.Tx) error {
		if b := tx.Bucket(gcTodoBucket); b != nil {
			n = b.Stats().KeyN
		}
		return nil
	})
	return n
}
