package config

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// CLIHint tells, in one line, how the CLI run on this machine will find
// the node configured by c (its admin address and token), following the
// search order of Search. The server prints it in its start-up banner.
func (c *Config) CLIHint() string {
	var how string
	switch {
	case c.Source == "":
		how = "run `garage-web COMMAND` from this directory (built-in configuration)"
	case c.Source == SystemFile || c.Via == SystemFile:
		how = fmt.Sprintf("`garage-web COMMAND` finds it from any directory (%s)", c.Source)
	case c.Via == "./"+LocalFile:
		how = fmt.Sprintf("run `garage-web COMMAND` from this directory (./%s), elsewhere `garage-web -c %s COMMAND`", LocalFile, c.Source)
	default:
		how = fmt.Sprintf("`garage-web -c %s COMMAND`, or export %s=%s", c.Source, EnvConfig, c.Source)
	}
	var notes []string
	if c.tokenFromFile() {
		if !filepath.IsAbs(c.MetadataDir) && c.Source != "" {
			notes = append(notes, "from this directory: metadata_dir is relative")
		}
		if abs, err := filepath.Abs(c.AdminTokenPath()); err == nil && c.Source != "" {
			notes = append(notes, "as a user who can read "+abs)
		}
	}
	if len(notes) > 0 {
		how += "; " + strings.Join(notes, ", ")
	}
	return how
}

// tokenFromFile reports whether the admin token is the one stored under
// metadata_dir rather than one set in the configuration.
func (c *Config) tokenFromFile() bool {
	b, err := os.ReadFile(c.AdminTokenPath())
	return err == nil && strings.TrimSpace(string(b)) == c.Admin.AdminToken
}
