package model

// The model feeds the hybrid clock with the timestamps of every entry it
// reads, so that whatever this node writes next is stamped after what it
// has seen, even when its wall clock is behind the writer's.

// maxTS returns the highest timestamp in an entry (0 if none).
func (b Bucket) maxTS() uint64 {
	ts := max(b.Created, b.Website.TS, b.CORS.TS, b.Tags.TS, b.ACL.TS, b.Policy.TS)
	for _, a := range b.Aliases {
		ts = max(ts, a.TS)
	}
	return ts
}

func (k Key) maxTS() uint64 {
	ts := max(k.Created, k.Name.TS, k.AllowCreateBucket.TS)
	for _, p := range k.Buckets {
		ts = max(ts, p.TS)
	}
	return ts
}

// observeObjects records the timestamps of a page of objects.
func (m *Model) observeObjects(os []Object) {
	var ts uint64
	for _, o := range os {
		ts = max(ts, o.MaxTS())
	}
	m.clock.Observe(ts)
}
