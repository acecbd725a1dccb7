package table

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"sync"
	"time"

	"github.com/garage-web/garage-web/cluster"
)

// Sentinel errors. They keep their identity across RPC: a Remote node
// returns errors that errors.Is matches against them.
var (
	// ErrQuorum means too few replicas answered for the operation to
	// succeed.
	ErrQuorum = cluster.ErrQuorum
	// ErrUnknownTable means the node has no table of that name.
	ErrUnknownTable = errors.New("unknown table")
	// ErrNodeDown means the node is known to be down: it was not asked.
	ErrNodeDown = errors.New("node down")
)

// Placement maps partitions to replicas.
type Placement interface {
	// Nodes returns the replicas of the partition of h, preferred first.
	Nodes(h PartitionHash) []Node
	ReadQuorum() int
	WriteQuorum() int
}

// Table is a replicated table of entries of type E.
type Table[E Entry[E]] struct {
	schema    Schema[E]
	local     *Local
	placement Placement
	filters   map[string]func(E) bool
	hedge     time.Duration
	log       *slog.Logger
	repairs   sync.WaitGroup
}

// Options configure a table.
type Options[E Entry[E]] struct {
	// Filters are named range filters (RangeQuery.Filter). The empty name
	// always means "not a tombstone".
	Filters map[string]func(E) bool
	// ReadHedge is how long a read waits for the replicas it asked first
	// (a read quorum, nearest first) before it asks the others too; 0
	// means DefaultReadHedge.
	ReadHedge time.Duration
}

// DefaultReadHedge is the default Options.ReadHedge: well above a round
// trip between sites of one region (issue 8's bench uses 50 ms), so that a
// healthy nearest replica is the only one asked, and short enough that a
// replica stuck without membership noticing (a half-open connection, a
// stalled disk) delays a read by a fraction of a second, not by the RPC
// timeout.
const DefaultReadHedge = 150 * time.Millisecond

// New registers the table with the local node and returns its client.
func New[E Entry[E]](schema Schema[E], local *Local, placement Placement, opts Options[E]) (*Table[E], error) {
	t := &Table[E]{schema: schema, local: local, placement: placement, filters: opts.Filters, hedge: opts.ReadHedge, log: local.log.With("table", schema.Name)}
	if err := local.register(schema.Name, &localImpl[E]{t: t}); err != nil {
		return nil, err
	}
	return t, nil
}

// readHedge is the table's Options.ReadHedge or its default.
func (t *Table[E]) readHedge() time.Duration {
	if t.hedge > 0 {
		return t.hedge
	}
	return DefaultReadHedge
}

// Name returns the table name.
func (t *Table[E]) Name() string { return t.schema.Name }

// Insert merges entries into the table and returns once every entry is on
// stable storage at a write quorum of its replicas (of every replica set
// in use while a layout change moves data: see TransitionPlacement).
func (t *Table[E]) Insert(ctx context.Context, entries ...E) error {
	groups := map[PartitionHash][][]byte{}
	var order []PartitionHash
	for _, e := range entries {
		v, err := t.schema.Encode(e)
		if err != nil {
			return fmt.Errorf("encode %s entry: %w", t.schema.Name, err)
		}
		h := HashPartitionKey(e.PartitionKey())
		if _, ok := groups[h]; !ok {
			order = append(order, h)
		}
		groups[h] = append(groups[h], v)
	}
	if len(order) == 1 {
		_, err := t.writeTo(ctx, order[0], groups[order[0]])
		return err
	}
	errs := make([]error, len(order))
	var wg sync.WaitGroup
	for i, h := range order {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[i] = t.writeTo(ctx, h, groups[h])
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}

// Prior is what the replicas of a write held before it (InsertStamped).
type Prior struct {
	// Stamp is the highest Schema.Stamp of the entries that the replicas
	// counted held before merging the write (0 if none held one).
	Stamp uint64
	// Known is false when a replica counted could not report its stamp (a
	// node of an older version): Stamp then says nothing, and a caller
	// that needs it must read the entry.
	Known bool
}

// InsertStamped inserts e like Insert and returns the highest Stamp of
// the entries that the replicas whose acknowledgements made up the write
// quorum (and any other that answered before it returned) held before
// merging e.
//
// Any entry of e's key that an earlier write acknowledged is on a write
// quorum, and two write quorums share a replica when 2·W > N (W = N/2+1,
// the consistent and degraded modes): that replica had merged it before
// e arrived. So if Prior.Stamp is below Stamp(e), e is stamped after
// every acknowledged write of its key, without reading first. With a
// write quorum of 1 among several replicas (dangerous mode), quorums need
// not intersect and the stamp covers only the replicas that answered,
// as a read at quorum 1 would. During a layout change the write reaches a
// quorum of every replica set in use, the set an earlier write was
// acknowledged by among them.
func (t *Table[E]) InsertStamped(ctx context.Context, e E) (Prior, error) {
	v, err := t.schema.Encode(e)
	if err != nil {
		return Prior{}, fmt.Errorf("encode %s entry: %w", t.schema.Name, err)
	}
	return t.writeTo(ctx, HashPartitionKey(e.PartitionKey()), [][]byte{v})
}

// writeSets returns the replica sets a write of partition hash h must
// reach, and the function to call once the write is done.
func (t *Table[E]) writeSets(h PartitionHash) ([]WriteSet, func()) {
	if tp, ok := t.placement.(TransitionPlacement); ok {
		return tp.WriteSets(h)
	}
	return []WriteSet{{Nodes: t.placement.Nodes(h), Quorum: max(1, t.placement.WriteQuorum())}}, func() {}
}

// writeTo writes values of partition hash h to its replica sets.
func (t *Table[E]) writeTo(ctx context.Context, h PartitionHash, values [][]byte) (Prior, error) {
	sets, done := t.writeSets(h)
	defer done()
	return t.write(ctx, sets, values)
}

// ack is one replica's answer to a write.
type ack struct {
	node    int // index in the union of the sets' nodes
	prior   []uint64
	holders Holders   // the read leases the replica granted
	marks   []markRef // the local replica's dirty marks (own writes)
	err     error
}

// updateNode sends values to n: through updateFrom for the local node
// (the write is this node's own), with the holders of n's grants when n
// reports them.
func (t *Table[E]) updateNode(ctx context.Context, n Node, values [][]byte) ack {
	var a ack
	switch ln := n.(type) {
	case *Local:
		a.prior, a.marks, a.err = ln.updateFrom(ctx, t.schema.Name, values, originOwn)
		if a.err == nil && ln.leases != nil {
			a.holders = ln.leases.holders()
		}
	case leasedNode:
		a.prior, a.holders, a.err = ln.updateHolders(ctx, t.schema.Name, values)
	default:
		a.prior, a.err = n.Update(ctx, t.schema.Name, values)
	}
	return a
}

// add folds a successful answer to a write of n values into p.
func (p *Prior) add(a ack, n int) {
	if len(a.prior) != n {
		p.Known = false
		return
	}
	for _, s := range a.prior {
		p.Stamp = max(p.Stamp, s)
	}
}

// write sends values to every node of sets and waits until each set has
// its quorum of acknowledgements. It returns the highest prior stamp the
// replicas that answered reported.
func (t *Table[E]) write(ctx context.Context, sets []WriteSet, values [][]byte) (Prior, error) {
	if len(sets) == 0 {
		return Prior{}, fmt.Errorf("write %s: %w: no replicas placed", t.schema.Name, ErrQuorum)
	}
	for _, s := range sets {
		if q := max(1, s.Quorum); len(s.Nodes) < q {
			return Prior{}, fmt.Errorf("write %s: %w: %d replicas placed, %d needed", t.schema.Name, ErrQuorum, len(s.Nodes), q)
		}
	}
	prior := Prior{Known: true}
	if len(sets) == 1 && len(sets[0].Nodes) == 1 {
		n := sets[0].Nodes[0]
		ps, err := n.Update(ctx, t.schema.Name, values)
		if err != nil {
			return Prior{}, t.single(n, "write", err)
		}
		prior.add(ack{prior: ps}, len(values))
		return prior, nil
	}
	// Each node once, however many sets hold it; in[i] lists the sets
	// node i counts for.
	var nodes []Node
	var in [][]int
	index := map[string]int{}
	for si, s := range sets {
		for _, n := range s.Nodes {
			i, ok := index[n.ID()]
			if !ok {
				i = len(nodes)
				index[n.ID()] = i
				nodes = append(nodes, n)
				in = append(in, nil)
			}
			in[i] = append(in[i], si)
		}
	}
	results := make(chan ack, len(nodes))
	for i, n := range nodes {
		go func() {
			// Replicas beyond the quorum finish in the background.
			wctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
			defer cancel()
			a := t.updateNode(wctx, n, values)
			if a.err != nil {
				a.err = fmt.Errorf("node %s: %w", n.ID(), a.err)
			}
			a.node = i
			results <- a
		}()
	}
	ok := make([]int, len(sets))
	failed := make([]int, len(sets))
	short := len(sets) // sets still below their quorum
	var errs []error
	hw := newHolderWait(t, nodes)
	// take counts a successful answer in: its prior stamps, and the
	// local replica's dirty marks to settle once the write counts.
	take := func(a ack) {
		if a.err == nil {
			hw.marks = append(hw.marks, a.marks...)
			prior.add(a, len(values))
		}
	}
	for short > 0 {
		select {
		case a := <-results:
			hw.answered(a.node, a.err == nil, a.holders)
			take(a)
			if a.err == nil {
				for _, si := range in[a.node] {
					ok[si]++
					if ok[si] == max(1, sets[si].Quorum) {
						short--
					}
				}
				continue
			}
			errs = append(errs, a.err)
			for _, si := range in[a.node] {
				failed[si]++
				if q := max(1, sets[si].Quorum); len(sets[si].Nodes)-failed[si] < q {
					return Prior{}, fmt.Errorf("write %s: %w (%d of %d needed): %w", t.schema.Name, ErrQuorum, ok[si], q, errors.Join(errs...))
				}
			}
		case <-ctx.Done():
			return Prior{}, fmt.Errorf("write %s: not acknowledged by a quorum: %w", t.schema.Name, ctx.Err())
		}
	}
	// Every read-lease holder the acknowledging replicas listed must have
	// the write too (or have lost its lease) before it counts.
	if err := hw.wait(ctx, func(ctx context.Context) (int, bool, Holders, error) {
		select {
		case a := <-results:
			take(a)
			return a.node, a.err == nil, a.holders, nil
		case <-ctx.Done():
			return 0, false, Holders{}, ctx.Err()
		}
	}); err != nil {
		return Prior{}, fmt.Errorf("write %s: %w", t.schema.Name, err)
	}
	hw.settleOwn()
	// Answers already in count too: a higher stamp only makes the caller
	// more careful.
	for {
		select {
		case a := <-results:
			if a.err == nil {
				prior.add(a, len(values))
			}
		default:
			return prior, nil
		}
	}
}

// single words the error of the only replica asked: a remote replica that
// fails is a missing quorum (the client may retry later), while an error of
// the local node (a hook refusing the entry, a full disk) is returned as is.
func (t *Table[E]) single(n Node, op string, err error) error {
	if err == nil || n == Node(t.local) || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	return fmt.Errorf("%s %s: %w (0 of 1 needed): node %s: %w", op, t.schema.Name, ErrQuorum, n.ID(), err)
}

// answer is one replica's reply to a read.
type answer struct {
	node    Node
	values  [][]byte
	holders Holders
	err     error
}

// asker reads from one replica: its values and the read-lease holders it
// lists.
type asker func(context.Context, Node) ([][]byte, Holders, error)

// readQuorum asks replicas until a read quorum answered. nodes come in
// order of preference (the local node first, then the nearest): only the
// first quorum of them are asked at once. Each one that fails is replaced
// by the next, and if the quorum has not answered after the table's hedge
// delay (ReadHedge), every replica not asked yet is asked too. Asking every
// replica at once and dropping the slowest answer cost a whole RPC per
// read on both sides (a third of a 3-node cluster's RPCs under small
// GETs) for an answer that was thrown away.
//
// Once the quorum answered, the read-lease holders the answers list must
// answer too (they are asked if they were not), or lose their lease
// (holderWait): a value this read returns is then on every holder, so
// that no local read there can miss it later.
func (t *Table[E]) readQuorum(ctx context.Context, nodes []Node, ask asker) ([]answer, error) {
	quorum := max(1, t.placement.ReadQuorum())
	if len(nodes) < quorum {
		return nil, fmt.Errorf("read %s: %w: %d replicas placed, %d needed", t.schema.Name, ErrQuorum, len(nodes), quorum)
	}
	if len(nodes) == 1 {
		vs, _, err := ask(ctx, nodes[0])
		if err != nil {
			return nil, t.single(nodes[0], "read", err)
		}
		return []answer{{node: nodes[0], values: vs}}, nil
	}
	type indexed struct {
		answer
		i int
	}
	ch := make(chan indexed, len(nodes))
	rctx, cancel := context.WithCancel(ctx)
	defer cancel()
	asked := 0
	askNext := func() {
		i := asked
		n := nodes[i]
		asked++
		go func() {
			vs, h, err := ask(rctx, n)
			ch <- indexed{answer{node: n, values: vs, holders: h, err: err}, i}
		}()
	}
	for asked < quorum {
		askNext()
	}
	var hedge <-chan time.Time
	if asked < len(nodes) {
		timer := time.NewTimer(t.readHedge())
		defer timer.Stop()
		hedge = timer.C
	}
	hw := newHolderWait(t, nodes)
	var got []answer
	var errs []error
	for len(got) < quorum {
		select {
		case a := <-ch:
			hw.answered(a.i, a.err == nil, a.holders)
			if a.err != nil {
				errs = append(errs, fmt.Errorf("node %s: %w", a.node.ID(), a.err))
				if len(nodes)-len(errs) < quorum {
					return nil, fmt.Errorf("read %s: %w: %w", t.schema.Name, ErrQuorum, errors.Join(errs...))
				}
				if asked < len(nodes) {
					askNext()
				}
				continue
			}
			got = append(got, a.answer)
		case <-hedge:
			hedge = nil
			for asked < len(nodes) {
				askNext()
			}
		}
	}
	if len(hw.missing()) == 0 {
		return got, nil
	}
	for asked < len(nodes) {
		askNext()
	}
	err := hw.wait(ctx, func(ctx context.Context) (int, bool, Holders, error) {
		select {
		case a := <-ch:
			if a.err == nil {
				got = append(got, a.answer)
			}
			return a.i, a.err == nil, a.holders, nil
		case <-ctx.Done():
			return 0, false, Holders{}, ctx.Err()
		}
	})
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", t.schema.Name, err)
	}
	return got, nil
}

// Get returns the merged entry at (pk, sk): from this node's copy when a
// read lease allows (lease.go), from a read quorum otherwise.
func (t *Table[E]) Get(ctx context.Context, pk, sk []byte) (E, bool, error) {
	var zero E
	h := HashPartitionKey(pk)
	nodes := t.placement.Nodes(h)
	if t.onlyLocal(nodes) {
		return t.getLocal(ctx, pk, sk)
	}
	lz := t.local.leases
	localAsked := len(nodes) > 1 && nodes[0] == Node(t.local)
	var seq uint64
	if lz != nil && localAsked {
		if lz.Readable(h.Partition()) {
			e, found, err := t.getLocal(ctx, pk, sk)
			// The mark is checked after the read: a write marks its keys
			// before it commits, so a value this read saw is marked. The
			// lease too: a process paused between the first check and the
			// read may have lost it meanwhile.
			if err == nil && !lz.dirty.isDirty(t.schema.Name, storageKey(pk, sk)) && lz.Readable(h.Partition()) {
				lz.m.reads.WithLabelValues(t.schema.Name, "local").Inc()
				return e, found, nil
			}
		}
		lz.m.reads.WithLabelValues(t.schema.Name, "quorum").Inc()
		seq = lz.dirty.current()
	}
	// The local replica, asked first (Nodes puts it first when it holds
	// the partition), sends its digest to the others (read_digest.go).
	var lf *localFirst
	if localAsked {
		lf = newLocalFirst(t.readHedge())
	}
	answers, err := t.readQuorum(ctx, nodes, func(ctx context.Context, n Node) ([][]byte, Holders, error) {
		var v []byte
		var hs Holders
		var err error
		switch {
		case n == Node(t.local):
			v, err = t.local.Get(ctx, t.schema.Name, pk, sk)
			if lf != nil {
				lf.setLocal(v, err)
			}
			if err == nil && lz != nil {
				hs = lz.holders()
			}
		case lf == nil:
			v, hs, err = getWithHolders(ctx, n, t.schema.Name, pk, sk)
		default:
			v, hs, err = lf.get(ctx, n, t.schema.Name, pk, sk)
		}
		if v == nil {
			return nil, hs, err
		}
		return [][]byte{v}, hs, err
	})
	if err != nil {
		return zero, false, err
	}
	merged, found, err := t.mergeAnswers(ctx, h, answers, 0)
	if err != nil {
		return zero, false, err
	}
	if lz != nil && localAsked && t.localSettled(answers, merged, found) {
		lz.dirty.settled(t.schema.Name, storageKey(pk, sk), seq)
	}
	if !found {
		return zero, false, nil
	}
	return merged, true, nil
}

// localSettled reports whether a quorum read that returned merged found
// this node's copy on a write quorum: every replica asked (a write
// quorum) answered the same, or the local copy is the merged value,
// which mergeAnswers brought to a write quorum.
func (t *Table[E]) localSettled(answers []answer, merged E, found bool) bool {
	var local *answer
	for i := range answers {
		if answers[i].node == Node(t.local) {
			local = &answers[i]
		}
	}
	if local == nil {
		return false
	}
	if len(answers) >= max(2, t.placement.WriteQuorum()) && sameValues(answers, 0) {
		return true
	}
	if !found || len(local.values) == 0 {
		return false
	}
	enc, err := t.schema.Encode(merged)
	return err == nil && bytes.Equal(enc, local.values[0])
}

// getWithHolders is n.Get, with the holders n lists when it reports them.
func getWithHolders(ctx context.Context, n Node, table string, pk, sk []byte) ([]byte, Holders, error) {
	if ln, ok := n.(leasedNode); ok {
		v, _, h, err := ln.getHolders(ctx, table, pk, sk, nil)
		return v, h, err
	}
	v, err := n.Get(ctx, table, pk, sk)
	return v, Holders{}, err
}

// mergeAnswers merges the i-th value of every answer's list as one entry
// (used by Get) and repairs replicas that were behind.
func (t *Table[E]) mergeAnswers(ctx context.Context, h PartitionHash, answers []answer, i int) (E, bool, error) {
	var merged E
	if len(answers) >= max(2, t.placement.WriteQuorum()) && sameValues(answers, i) {
		// The usual case: every replica asked holds the same bytes (a
		// "same" answer to the local copy's digest), on a write quorum.
		// Merging a value with itself gives it back: nothing to merge,
		// re-encode or repair.
		if len(answers[0].values) <= i {
			return merged, false, nil
		}
		e, err := t.schema.Decode(answers[0].values[i])
		if err != nil {
			return merged, false, fmt.Errorf("decode %s entry from %s: %w", t.schema.Name, answers[0].node.ID(), err)
		}
		return e, true, nil
	}
	found := false
	for _, a := range answers {
		if len(a.values) <= i {
			continue
		}
		e, err := t.schema.Decode(a.values[i])
		if err != nil {
			return merged, false, fmt.Errorf("decode %s entry from %s: %w", t.schema.Name, a.node.ID(), err)
		}
		if !found {
			merged, found = e, true
		} else {
			merged = merged.Merge(e)
		}
	}
	if !found || len(answers) == 1 {
		return merged, found, nil
	}
	enc, err := t.schema.Encode(merged)
	if err != nil {
		return merged, true, err
	}
	// A value a read returns must be on a write quorum, so that no later
	// read can miss it: a write that failed (a coordinator killed half way)
	// may have reached one replica only. Replicas that answered with less
	// are brought up to date before returning, as many as the quorum needs;
	// the others in the background.
	upToDate := 0
	var stale []Node
	for _, a := range answers {
		if len(a.values) > i && bytes.Equal(a.values[i], enc) {
			upToDate++
		} else {
			stale = append(stale, a.node)
		}
	}
	if len(stale) == 0 && upToDate >= t.placement.WriteQuorum() {
		return merged, true, nil
	}
	sets, done := t.writeSets(h)
	defer done()
	if len(sets) > 1 || len(stale) == 0 || t.leased(answers) {
		// A layout change is moving data (the value must be on a quorum
		// of every replica set in use, not only of the set read), or the
		// read quorum is smaller than the write quorum, or read leases
		// are in use (the value must reach every holder too): write it
		// to all, as a write.
		if _, err := t.write(ctx, sets, [][]byte{enc}); err != nil {
			return merged, false, fmt.Errorf("read %s: the value read could not be written back: %w", t.schema.Name, err)
		}
		return merged, true, nil
	}
	need := t.placement.WriteQuorum() - upToDate
	var errs []error
	for _, n := range stale {
		if need > 0 {
			_, err := n.Update(ctx, t.schema.Name, [][]byte{enc})
			if err == nil {
				need--
				continue
			}
			errs = append(errs, fmt.Errorf("node %s: %w", n.ID(), err))
		}
		t.repair(ctx, n, [][]byte{enc})
	}
	if need > 0 {
		return merged, false, fmt.Errorf("read %s: %w: the value read could not be written back to a write quorum: %w", t.schema.Name, ErrQuorum, errors.Join(errs...))
	}
	return merged, true, nil
}

// leased reports whether read leases take part in a read: this node has
// leases, or an answer listed holders.
func (t *Table[E]) leased(answers []answer) bool {
	if t.local.leases != nil {
		return true
	}
	for _, a := range answers {
		if !a.holders.empty() {
			return true
		}
	}
	return false
}

// sameValues reports whether every answer holds the same i-th value, or
// none holds one.
func sameValues(answers []answer, i int) bool {
	has := len(answers[0].values) > i
	for _, a := range answers[1:] {
		if (len(a.values) > i) != has || (has && !bytes.Equal(a.values[i], answers[0].values[i])) {
			return false
		}
	}
	return true
}

// repair writes merged values back to a stale replica in the background.
func (t *Table[E]) repair(ctx context.Context, n Node, values [][]byte) {
	t.repairs.Add(1)
	go func() {
		defer t.repairs.Done()
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
		defer cancel()
		if _, err := n.Update(rctx, t.schema.Name, values); err != nil {
			t.log.Warn("read repair failed", "node", n.ID(), "err", err)
		}
	}()
}

// WaitRepairs waits for background read repairs (used by tests and on
// shutdown).
func (t *Table[E]) WaitRepairs() { t.repairs.Wait() }

// FilterAll is the filter name that keeps every entry, tombstones included.
const FilterAll = "*"

// Range returns the merged entries of partition key pk selected by q, from
// a read quorum.
//
// With several replicas, each one is asked for every entry in the range,
// tombstones included, and the filter is applied after merging: a replica
// that missed a deletion must not resurrect the entry.
func (t *Table[E]) Range(ctx context.Context, pk []byte, q RangeQuery) ([]E, error) {
	nodes := t.placement.Nodes(HashPartitionKey(pk))
	if quorum := max(1, t.placement.ReadQuorum()); len(nodes) < quorum {
		return nil, fmt.Errorf("range %s: %w: %d replicas placed, %d needed", t.schema.Name, ErrQuorum, len(nodes), quorum)
	}
	decode := t.schema.Decode
	if q.Light && t.schema.DecodeLight != nil {
		decode = t.schema.DecodeLight
	}
	if t.onlyLocal(nodes) {
		return t.rangeLocal(ctx, pk, q, decode)
	}
	if lz := t.local.leases; lz != nil && nodes[0] == Node(t.local) {
		// Under a read lease, from this node's copy when no key of the
		// partition carries a dirty mark, checked after the scan (writes
		// mark before they commit).
		p := HashPartitionKey(pk).Partition()
		if lz.Readable(p) && !lz.dirty.partitionDirty(p) {
			out, err := t.rangeLocal(ctx, pk, q, decode)
			if err == nil && !lz.dirty.partitionDirty(p) && lz.Readable(p) {
				return out, nil
			}
		}
	}
	if len(nodes) == 1 {
		vs, err := nodes[0].Range(ctx, t.schema.Name, pk, q)
		if err != nil {
			return nil, t.single(nodes[0], "range", err)
		}
		out := make([]E, 0, len(vs))
		for _, v := range vs {
			e, err := decode(v)
			if err != nil {
				return nil, fmt.Errorf("decode %s entry: %w", t.schema.Name, err)
			}
			out = append(out, e)
		}
		return out, nil
	}
	var out []E
	sub := q
	sub.Filter = FilterAll
	var skip []byte // reverse paging: the inclusive start already returned
	for {
		answers, err := t.readQuorum(ctx, nodes, func(ctx context.Context, n Node) ([][]byte, Holders, error) {
			vs, err := n.Range(ctx, t.schema.Name, pk, sub)
			return vs, Holders{}, err
		})
		if err != nil {
			return nil, err
		}
		page, cut, err := t.mergeRanges(ctx, answers, sub)
		if err != nil {
			return nil, err
		}
		for _, e := range page {
			if skip != nil && bytes.Equal(e.SortKey(), skip) {
				continue
			}
			if t.keep(q.Filter, e) {
				out = append(out, e)
				if q.Limit > 0 && len(out) >= q.Limit {
					return out, nil
				}
			}
		}
		if cut == nil {
			return out, nil
		}
		if q.Reverse {
			sub.Start, skip = cut, cut
		} else {
			sub.Start = append(bytes.Clone(cut), 0)
		}
	}
}

// rangeLocal is Range from this node's copy alone: each entry decoded
// once, filtered as it goes.
func (t *Table[E]) rangeLocal(ctx context.Context, pk []byte, q RangeQuery, decode func([]byte) (E, error)) ([]E, error) {
	var out []E
	if q.Limit > 0 {
		out = make([]E, 0, min(q.Limit, 1024))
	}
	err := t.local.scan(ctx, t.schema.Name, pk, q, func(v []byte) (bool, error) {
		e, err := decode(v)
		if err != nil {
			return false, fmt.Errorf("decode %s entry: %w", t.schema.Name, err)
		}
		if t.keep(q.Filter, e) {
			out = append(out, e)
		}
		return q.Limit > 0 && len(out) >= q.Limit, nil
	})
	return out, err
}

// mergeRanges merges several replicas' answers to a range query by sort
// key. When some replica stopped at the limit, it returns the last sort key
// up to which the merged page is complete (nil when the range is done).
func (t *Table[E]) mergeRanges(ctx context.Context, answers []answer, q RangeQuery) ([]E, []byte, error) {
	type item struct {
		e   E
		raw map[int][]byte
	}
	bySK := map[string]*item{}
	for ai, a := range answers {
		for _, v := range a.values {
			e, err := t.schema.Decode(v)
			if err != nil {
				return nil, nil, fmt.Errorf("decode %s entry from %s: %w", t.schema.Name, a.node.ID(), err)
			}
			sk := string(e.SortKey())
			if it, ok := bySK[sk]; ok {
				it.e = it.e.Merge(e)
				it.raw[ai] = v
			} else {
				bySK[sk] = &item{e: e, raw: map[int][]byte{ai: v}}
			}
		}
	}
	keys := make([]string, 0, len(bySK))
	for k := range bySK {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	if q.Reverse {
		for i, j := 0, len(keys)-1; i < j; i, j = i+1, j-1 {
			keys[i], keys[j] = keys[j], keys[i]
		}
	}
	// Each replica stopped at q.Limit of its own entries: past the smallest
	// last key among replicas that hit the limit, the union is incomplete.
	var cut *string
	if q.Limit > 0 {
		for _, a := range answers {
			if len(a.values) >= q.Limit {
				last, err := t.schema.Decode(a.values[len(a.values)-1])
				if err != nil {
					return nil, nil, err
				}
				sk := string(last.SortKey())
				if cut == nil || (!q.Reverse && sk < *cut) || (q.Reverse && sk > *cut) {
					cut = &sk
				}
			}
		}
	}
	stale := map[int][][]byte{}
	var out []E
	for _, k := range keys {
		if cut != nil && ((!q.Reverse && k > *cut) || (q.Reverse && k < *cut)) {
			break
		}
		it := bySK[k]
		enc, err := t.schema.Encode(it.e)
		if err != nil {
			return nil, nil, err
		}
		for ai := range answers {
			if !bytes.Equal(it.raw[ai], enc) {
				stale[ai] = append(stale[ai], enc)
			}
		}
		out = append(out, it.e)
	}
	for ai, vs := range stale {
		t.repair(ctx, answers[ai].node, vs)
	}
	if cut == nil {
		return out, nil, nil
	}
	return out, []byte(*cut), nil
}

func (t *Table[E]) keep(filter string, e E) bool {
	if filter == FilterAll {
		return true
	}
	if filter == "" {
		return !e.IsTombstone()
	}
	if f, ok := t.filters[filter]; ok {
		return f(e)
	}
	return false
}

// localImpl applies writes of table t to the local store.
type localImpl[E Entry[E]] struct{ t *Table[E] }

func (l *localImpl[E]) apply(tx *Tx, value []byte) (uint64, error) {
	s := l.t.schema
	e, err := s.Decode(value)
	if err != nil {
		return 0, fmt.Errorf("decode %s entry: %w", s.Name, err)
	}
	b := tx.bolt.Bucket([]byte(s.Name))
	key := storageKey(e.PartitionKey(), e.SortKey())
	oldRaw := b.Get(key)
	var old *E
	var prior uint64
	merged := e
	if oldRaw != nil {
		o, err := s.Decode(oldRaw)
		if err != nil {
			return 0, fmt.Errorf("decode stored %s entry: %w", s.Name, err)
		}
		old = &o
		merged = o.Merge(e)
		if s.Stamp != nil {
			prior = s.Stamp(o)
		}
	}
	enc, err := s.Encode(merged)
	if err != nil {
		return 0, fmt.Errorf("encode %s entry: %w", s.Name, err)
	}
	if oldRaw != nil && bytes.Equal(enc, oldRaw) {
		return prior, nil // nothing new
	}
	l.t.local.mark(tx, s.Name, key)
	if err := l.t.local.put(tx.bolt, s.Name, b, key, oldRaw, enc); err != nil {
		return 0, err
	}
	if err := l.noteGC(tx, key, merged, enc); err != nil {
		return 0, err
	}
	if s.Updated != nil {
		return prior, s.Updated(tx, old, merged)
	}
	return prior, nil
}

func (l *localImpl[E]) keep(filter string, value []byte) (bool, error) {
	e, err := l.t.schema.Decode(value)
	if err != nil {
		return false, err
	}
	return l.t.keep(filter, e), nil
}
