package config

import (
	"fmt"

	"github.com/BurntSushi/toml"
)

// Garage settings that garage-web accepts so that a Garage configuration
// loads, but does not use. Each one found gives a warning, not an error.
var (
	// ignoredTopLevel are top-level settings.
	ignoredTopLevel = map[string]string{
		"db_engine":                       "metadata is always stored in bbolt",
		"metadata_fsync":                  "metadata commits are always synced",
		"data_fsync":                      "data blocks are always synced",
		"metadata_auto_snapshot_interval": "not supported",
		"metadata_snapshots_dir":          "not supported",
		"lmdb_map_size":                   "metadata is stored in bbolt",
		"sled_cache_capacity":             "metadata is stored in bbolt",
		"sled_flush_every_ms":             "metadata is stored in bbolt",
		"use_local_tz":                    "not supported",
		"block_ram_buffer_max":            "not supported",
		"block_max_concurrent_reads":      "not supported",
		"rpc_timeout_msec":                "not supported",
		"rpc_ping_timeout_msec":           "not supported",
		"allow_world_readable_secrets":    "secret file permissions are not checked",
		"allow_punycode":                  "not supported",
	}
	// ignoredSections are whole sections.
	ignoredSections = map[string]string{
		"k2v_api":              "garage-web has no K2V API",
		"consul_discovery":     "use bootstrap_peers",
		"kubernetes_discovery": "use bootstrap_peers",
	}
	// ignoredInSection are settings inside sections garage-web has.
	ignoredInSection = map[string]string{
		"s3_web.index":               "the index document is set per bucket",
		"s3_web.add_host_to_metrics": "not supported",
		"admin.trace_sink":           "not supported",
	}
)

// ignoredSetting reports whether k is a known Garage setting that
// garage-web ignores, with the warning to give ("" when an earlier key of
// the same section already gave it).
func ignoredSetting(k toml.Key) (warning string, ok bool) {
	if len(k) == 0 {
		return "", false
	}
	if len(k) == 1 {
		if why, ok := ignoredTopLevel[k[0]]; ok {
			return warn(k[0], why), true
		}
	}
	if why, ok := ignoredSections[k[0]]; ok {
		if len(k) == 1 {
			return warn("["+k[0]+"]", why), true
		}
		return "", true // reported once, for the table itself
	}
	if len(k) == 2 {
		if why, ok := ignoredInSection[k.String()]; ok {
			return warn(k.String(), why), true
		}
	}
	return "", false
}

func warn(name, why string) string {
	return fmt.Sprintf("config: ignoring Garage setting %s: %s", name, why)
}
