package table

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"slices"

	"github.com/garage-web/garage-web/cluster"
)

// syncSmall is the size (entries, on either side) under which a subtree
// is compared item by item rather than descended into: listing a few
// dozen items costs one round trip, like a level of the tree.
const syncSmall = 64

// SyncResult is what a SyncPartition did.
type SyncResult struct {
	// Compared counts the (table, peer) comparisons made; Differed those
	// whose trees differed.
	Compared, Differed int
	// Sent counts the entries pushed to peers, Received those pulled from
	// them and merged locally.
	Sent, Received int
	// Unconverged counts the comparisons whose trees still differed after
	// the exchange (writes meanwhile, or a merge that does not settle:
	// they are left to the next pass).
	Unconverged int
}

func (r *SyncResult) add(o SyncResult) {
	r.Compared += o.Compared
	r.Differed += o.Differed
	r.Sent += o.Sent
	r.Received += o.Received
	r.Unconverged += o.Unconverged
}

// SyncPartition synchronises partition p of every registered table with
// each of peers (Self is skipped), in both directions: entries a peer
// holds that differ are pulled and merged locally through the normal
// write path (Updated hooks and the queue follow), and entries this node
// holds that differ are pushed with Remote.Update. It fails if any peer
// failed; what the other peers exchanged stays.
func (s *Syncer) SyncPartition(ctx context.Context, p uint8, peers []cluster.NodeID) (SyncResult, error) {
	s.partMu.Lock()
	defer s.partMu.Unlock()
	return s.syncPartition(ctx, p, peers, true)
}

// tableOutcome is the result of comparing one table with one peer.
type tableOutcome struct {
	SyncResult
	converged bool
}

// syncPartition is SyncPartition with s.partMu held; with pull false,
// entries only go to the peers (Offload).
func (s *Syncer) syncPartition(ctx context.Context, p uint8, peers []cluster.NodeID, pull bool) (SyncResult, error) {
	tables := s.cfg.Local.Tables()
	var ps []cluster.NodeID
	for _, id := range peers {
		if id != s.cfg.Self && !slices.Contains(ps, id) {
			ps = append(ps, id)
		}
	}
	outs := make([][]tableOutcome, len(ps))
	errs := make([]error, len(ps))
	lastPull := -1
	for i, peer := range ps {
		outs[i], errs[i] = s.syncWith(ctx, p, peer, tables, pull)
		for _, o := range outs[i] {
			if o.Received > 0 {
				lastPull = i
			}
		}
	}
	// What a later peer gave reaches the earlier ones now, so that one
	// call leaves every replica equal.
	for i := 0; i < lastPull; i++ {
		if errs[i] != nil {
			continue
		}
		again, err := s.syncWith(ctx, p, ps[i], tables, false)
		for ti := range again {
			again[ti].SyncResult.add(outs[i][ti].SyncResult)
		}
		outs[i], errs[i] = again, err
	}
	var res SyncResult
	for ti, t := range tables {
		inSync := true
		var tr SyncResult
		for i := range ps {
			// converged is set only once the trees were seen equal.
			if !outs[i][ti].converged {
				inSync = false
			}
			tr.add(outs[i][ti].SyncResult)
		}
		if len(ps) > 0 {
			s.record(t, p, inSync, tr.Sent, tr.Received, tr.Unconverged)
		}
		res.add(tr)
	}
	var failed []error
	for i, err := range errs {
		if err != nil {
			s.m.errors.Inc()
			failed = append(failed, fmt.Errorf("node %s: %w", ps[i].Short(), err))
		}
	}
	if len(failed) > 0 {
		return res, fmt.Errorf("sync partition %d: %w", p, errors.Join(failed...))
	}
	return res, nil
}

// syncWith compares partition p of tables with peer and exchanges what
// differs. Its outcomes have one element per table, filled as far as it
// got.
func (s *Syncer) syncWith(ctx context.Context, p uint8, peer cluster.NodeID, tables []string, pull bool) ([]tableOutcome, error) {
	outs := make([]tableOutcome, len(tables))
	sp := syncPeer{id: peer, c: s.cfg.Caller}
	local, _, err := s.cfg.Local.merkleRoots(tables, p)
	if err != nil {
		return outs, err
	}
	remote, missing, err := sp.roots(ctx, tables, p)
	if err != nil {
		return outs, err
	}
	// A table the peer lacks (a node of an older version) fails the
	// comparison once the others are done.
	var lacking []string
	var changed []int
	for i, t := range tables {
		if missing[i] {
			lacking = append(lacking, t)
			continue
		}
		outs[i].Compared = 1
		if local[i] == remote[i] {
			outs[i].converged = true
			continue
		}
		outs[i].Differed = 1
		d := &differ{s: s, sp: sp, table: t, p: p, pull: pull, res: &outs[i].SyncResult}
		if err := d.run(ctx, local[i], remote[i]); err != nil {
			return outs, fmt.Errorf("table %s: %w", t, err)
		}
		changed = append(changed, i)
	}
	var errLacking error
	if len(lacking) > 0 {
		errLacking = fmt.Errorf("%w on the peer: %q", ErrUnknownTable, lacking)
	}
	if len(changed) == 0 {
		return outs, errLacking
	}
	// Check that the exchange made the trees equal.
	names := make([]string, len(changed))
	for j, i := range changed {
		names[j] = tables[i]
	}
	local, _, err = s.cfg.Local.merkleRoots(names, p)
	if err != nil {
		return outs, err
	}
	if remote, _, err = sp.roots(ctx, names, p); err != nil {
		return outs, err
	}
	for j, i := range changed {
		if outs[i].converged = local[j] == remote[j]; !outs[i].converged && pull {
			outs[i].Unconverged++
			s.log.Debug("partition still differs after an exchange", "table", tables[i], "partition", p, "peer", peer.Short(),
				"local_entries", local[j].Count, "peer_entries", remote[j].Count)
		}
	}
	return outs, errLacking
}

// differ walks down the parts of one table's partition tree that differ
// between this node and a peer, and exchanges the differing entries.
type differ struct {
	s     *Syncer
	sp    syncPeer
	table string
	p     uint8
	pull  bool
	res   *SyncResult
}

// span is a subtree that differs: its khash prefix and sizes; list says
// to compare its items rather than descend.
type span struct {
	prefix        []byte
	local, remote uint64
	list          bool
}

// listDirectly tells whether the items of a differing subtree are best
// compared one by one: it is small, at the bottom of the tree, or its
// differences are dense (one side empty, or sizes far apart), so that a
// walk down would visit most of its nodes anyway.
func (sp span) listDirectly() bool {
	lo, hi := min(sp.local, sp.remote), max(sp.local, sp.remote)
	return sp.list || len(sp.prefix) >= merkleDepth || hi <= syncSmall || lo == 0 || (hi-lo)*4 >= hi
}

func (d *differ) run(ctx context.Context, local, remote merkleAgg) error {
	frontier := []span{{prefix: []byte{}, local: local.Count, remote: remote.Count}}
	for len(frontier) > 0 {
		var deeper []span
		for _, sp := range frontier {
			if !d.pull && sp.local == 0 {
				continue // nothing to push
			}
			if sp.listDirectly() {
				if err := d.items(ctx, sp.prefix); err != nil {
					return err
				}
				continue
			}
			deeper = append(deeper, sp)
		}
		frontier = nil
		for chunk := range slices.Chunk(deeper, syncMaxPrefixes) {
			next, err := d.descend(ctx, chunk)
			if err != nil {
				return err
			}
			frontier = append(frontier, next...)
		}
	}
	return nil
}

// descend returns the children of the spans that differ; a span most of
// whose children differ comes back whole, to be listed.
func (d *differ) descend(ctx context.Context, spans []span) ([]span, error) {
	prefixes := make([][]byte, len(spans))
	for i, sp := range spans {
		prefixes[i] = sp.prefix
	}
	remote, err := d.sp.children(ctx, d.table, d.p, prefixes)
	if err != nil {
		return nil, err
	}
	local, err := d.s.cfg.Local.merkleChildren(d.table, d.p, prefixes)
	if err != nil {
		return nil, err
	}
	var out []span
	for i, prefix := range prefixes {
		var l, r [256]merkleAgg
		var has [256]bool
		for _, c := range local[i] {
			l[c.Index], has[c.Index] = c.Agg, true
		}
		for _, c := range remote[i] {
			r[c.Index], has[c.Index] = c.Agg, true
		}
		var diff []span
		nonEmpty := 0
		for b := range 256 {
			if !has[b] {
				continue
			}
			nonEmpty++
			if l[b] != r[b] {
				diff = append(diff, span{prefix: append(bytes.Clone(prefix), byte(b)), local: l[b].Count, remote: r[b].Count})
			}
		}
		if len(diff) > 1 && 2*len(diff) > nonEmpty {
			sp := spans[i]
			sp.list = true
			out = append(out, sp)
			continue
		}
		out = append(out, diff...)
	}
	return out, nil
}

// items compares the items under prefix page by page and exchanges those
// that differ.
func (d *differ) items(ctx context.Context, prefix []byte) error {
	var after []byte
	for {
		remote, rMore, err := d.sp.items(ctx, d.table, d.p, prefix, after, d.s.page)
		if err != nil {
			return err
		}
		local, lMore, err := d.s.cfg.Local.merkleItems(d.table, d.p, prefix, after, d.s.page)
		if err != nil {
			return err
		}
		// Both lists are complete up to the smaller of their last khashes
		// (when cut at the page size); the rest comes with the next page.
		if (rMore && len(remote) == 0) || (lMore && len(local) == 0) {
			return fmt.Errorf("items: an empty page with more to come")
		}
		var hi []byte
		if rMore {
			hi = remote[len(remote)-1].KHash[:]
		}
		if lMore {
			if last := local[len(local)-1].KHash[:]; hi == nil || bytes.Compare(last, hi) < 0 {
				hi = last
			}
		}
		if hi != nil {
			remote = upTo(remote, hi)
			local = upTo(local, hi)
		}
		if err := d.exchange(ctx, local, remote); err != nil {
			return err
		}
		if hi == nil {
			return nil
		}
		after = bytes.Clone(hi)
	}
}

// upTo returns the items of a khash-sorted list up to hi included.
func upTo(items []merkleItem, hi []byte) []merkleItem {
	n, _ := slices.BinarySearchFunc(items, hi, func(it merkleItem, h []byte) int { return bytes.Compare(it.KHash[:], h) })
	if n < len(items) && bytes.Equal(items[n].KHash[:], hi) {
		n++
	}
	return items[:n]
}

// exchange pulls the remote items that differ, then pushes the local
// ones that still differ from what the peer holds.
func (d *differ) exchange(ctx context.Context, local, remote []merkleItem) error {
	var pullKeys, pushKeys [][]byte
	remoteHash := map[[32]byte]MerkleHash{} // of the keys both hold, differing
	i, j := 0, 0
	for i < len(local) || j < len(remote) {
		var c int
		switch {
		case i == len(local):
			c = 1
		case j == len(remote):
			c = -1
		default:
			c = bytes.Compare(local[i].KHash[:], remote[j].KHash[:])
		}
		switch {
		case c < 0: // only here
			pushKeys = append(pushKeys, local[i].Key)
			i++
		case c > 0: // only there
			if d.pull {
				pullKeys = append(pullKeys, remote[j].Key)
			}
			j++
		default:
			if local[i].Hash != remote[j].Hash {
				remoteHash[local[i].KHash] = remote[j].Hash
				if d.pull {
					pullKeys = append(pullKeys, remote[j].Key)
				}
				pushKeys = append(pushKeys, local[i].Key)
			}
			i++
			j++
		}
	}
	if err := d.pullEntries(ctx, pullKeys); err != nil {
		return err
	}
	return d.pushEntries(ctx, pushKeys, remoteHash)
}

// pullEntries fetches keys from the peer and merges them locally.
func (d *differ) pullEntries(ctx context.Context, keys [][]byte) error {
	for len(keys) > 0 {
		vs, err := d.sp.get(ctx, d.table, keys)
		if err != nil {
			return err
		}
		keys = keys[len(vs):]
		vs = slices.DeleteFunc(vs, func(v []byte) bool { return v == nil })
		if len(vs) == 0 {
			continue
		}
		if _, _, err := d.s.cfg.Local.updateFrom(ctx, d.table, vs, originSync); err != nil {
			return fmt.Errorf("merge pulled entries: %w", err)
		}
		d.res.Received += len(vs)
	}
	return nil
}

// pushEntries sends the local entries of keys to the peer, except those
// that, after the pull, hold what the peer holds (remoteHash).
func (d *differ) pushEntries(ctx context.Context, keys [][]byte, remoteHash map[[32]byte]MerkleHash) error {
	remote := NewRemote(d.sp.id, d.sp.c)
	for len(keys) > 0 {
		vs, err := d.s.cfg.Local.rawEntries(d.table, keys[:min(len(keys), syncMaxKeys)], syncMaxBytes)
		if err != nil {
			return err
		}
		var batch [][]byte
		for n, v := range vs {
			if v == nil {
				continue // deleted meanwhile
			}
			if rh, ok := remoteHash[khashOf(keys[n])]; ok && itemHash(keys[n], v) == rh {
				continue // the pull made it equal
			}
			batch = append(batch, v)
		}
		keys = keys[len(vs):]
		if len(batch) == 0 {
			continue
		}
		if _, err := remote.Update(ctx, d.table, batch); err != nil {
			return fmt.Errorf("push entries: %w", err)
		}
		d.res.Sent += len(batch)
	}
	return nil
}

func khashOf(key []byte) [32]byte { return sha256.Sum256(key) }
