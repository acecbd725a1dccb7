package web

import (
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
)

// gauge returns the value of metric name with label site=site, and
// whether it was exported.
func gauge(t *testing.T, f *fixture, name, site string) (float64, bool) {
	t.Helper()
	mfs, err := f.reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		for _, m := range mf.GetMetric() {
			if labelIs(m, "site", site) {
				return m.GetGauge().GetValue(), true
			}
		}
	}
	return 0, false
}

func labelIs(m *dto.Metric, name, value string) bool {
	for _, l := range m.GetLabel() {
		if l.GetName() == name && l.GetValue() == value {
			return true
		}
	}
	return false
}

func TestNarsStoredMetric(t *testing.T) {
	f := newFixture(t)
	now := time.Unix(1_700_000_000, 0)
	f.srv.narStats.now = func() time.Time { return now }
	f.store.put("cache", "nar/a.nar", []byte("aaaa"), nil)
	f.store.put("cache", "nar/b.nar", []byte("bbbbbb"), nil)
	f.store.put("cache", "nix-cache-info", []byte("StoreDir: /nix/store\n"), nil)

	if _, ok := gauge(t, f, "garageweb_nix_cache_nars_stored", "cache"); ok {
		t.Fatal("a cache that served no Nix request is counted")
	}
	f.do("GET", "cache.web.localhost", "/zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz.narinfo", nil) // a miss
	if n, ok := gauge(t, f, "garageweb_nix_cache_nars_stored", "cache"); !ok || n != 2 {
		t.Fatalf("NARs stored %v (exported %v), want 2", n, ok)
	}
	if b, _ := gauge(t, f, "garageweb_nix_cache_nar_stored_bytes", "cache"); b != 10 {
		t.Fatalf("NAR bytes %v, want 10", b)
	}
	f.store.put("cache", "nar/c.nar", []byte("c"), nil)
	if n, _ := gauge(t, f, "garageweb_nix_cache_nars_stored", "cache"); n != 2 {
		t.Fatalf("recounted before the TTL: %v", n)
	}
	now = now.Add(narStatsTTL)
	if n, _ := gauge(t, f, "garageweb_nix_cache_nars_stored", "cache"); n != 3 {
		t.Fatalf("after the TTL: %v, want 3", n)
	}
}
