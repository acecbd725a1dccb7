// Package buildinfo holds the one version string of garage-web, shown by
// `garage-web --version`, the start-up banner and the admin API.
//
// `make build` sets it from `git describe` with
//
//	-ldflags "-X github.com/garage-web/garage-web/internal/buildinfo.version=V"
//
// A binary built otherwise (go build, go install) falls back to the module
// version or VCS revision that the Go toolchain records, else "dev".
package buildinfo

import (
	"runtime/debug"
	"strings"
)

// version is set by the linker (see the package doc); empty otherwise.
var version string

// Version returns the version of this binary.
func Version() string {
	if version != "" {
		return version
	}
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "dev"
	}
	return fromBuildInfo(bi)
}

// fromBuildInfo derives a version from what the toolchain recorded: the
// module version of `go install …@vX`, else "dev-<revision>[-dirty]".
func fromBuildInfo(bi *debug.BuildInfo) string {
	if v := bi.Main.Version; v != "" && v != "(devel)" && !strings.Contains(v, "+dirty") {
		return strings.TrimPrefix(v, "v")
	}
	var rev string
	dirty := false
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			dirty = s.Value == "true"
		}
	}
	if rev == "" {
		return "dev"
	}
	if len(rev) > 12 {
		rev = rev[:12]
	}
	v := "dev-" + rev
	if dirty {
		v += "-dirty"
	}
	return v
}
