package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestSearchOrder(t *testing.T) {
	dir := t.TempDir()
	work := filepath.Join(dir, "work")
	system := filepath.Join(dir, "etc", "garage-web.toml")
	flagFile := filepath.Join(dir, "flag.toml")
	envFile := filepath.Join(dir, "env.toml")
	for _, p := range []string{work + "/x", system, flagFile, envFile} {
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	env := func(vars map[string]string) func(string) (string, bool) {
		return func(k string) (string, bool) { v, ok := vars[k]; return v, ok }
	}
	find := func(s Search) Found {
		t.Helper()
		s.WorkDir, s.System = work, system
		f, err := s.Find()
		if err != nil {
			t.Fatal(err)
		}
		return f
	}
	if f := find(Search{}); f.Path != "" || f.Via != "the built-in default" {
		t.Errorf("nothing anywhere: %+v, want the built-in default", f)
	}
	if err := os.WriteFile(system, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if f := find(Search{}); f.Path != system || f.Via != SystemFile {
		t.Errorf("only the system file: %+v", f)
	}
	local := filepath.Join(work, LocalFile)
	if err := os.WriteFile(local, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if f := find(Search{}); f.Path != local || f.Via != "./garage-web.toml" {
		t.Errorf("./garage-web.toml comes before the system file: %+v", f)
	}
	if f := find(Search{Env: env(map[string]string{EnvConfigLegacy: envFile})}); f.Path != envFile || f.Via != "$GARAGE_CONFIG_FILE" {
		t.Errorf("$GARAGE_CONFIG_FILE: %+v", f)
	}
	both := env(map[string]string{EnvConfig: envFile, EnvConfigLegacy: "/nonexistent"})
	if f := find(Search{Env: both}); f.Path != envFile || f.Via != "$GARAGE_CONFIG" {
		t.Errorf("$GARAGE_CONFIG comes before $GARAGE_CONFIG_FILE: %+v", f)
	}
	if f := find(Search{Flag: flagFile, Env: both}); f.Path != flagFile || f.Via != "-c" {
		t.Errorf("-c comes first: %+v", f)
	}
	// A relative -c is made absolute, so the banner can give it to the CLI.
	t.Chdir(dir)
	if f := find(Search{Flag: "flag.toml"}); f.Path != flagFile {
		t.Errorf("relative -c: %q, want %q", f.Path, flagFile)
	}
}

func TestSearchLocalDirectoryIsAnError(t *testing.T) {
	work := t.TempDir()
	if err := os.Mkdir(filepath.Join(work, LocalFile), 0o755); err != nil {
		t.Fatal(err)
	}
	_, err := Search{WorkDir: work, System: filepath.Join(work, "none")}.Find()
	if err == nil || !strings.Contains(err.Error(), "not a regular file") {
		t.Fatalf("a directory named garage-web.toml: %v", err)
	}
}

func TestCLIHint(t *testing.T) {
	dir := t.TempDir()
	meta := filepath.Join(dir, "meta")
	for _, tc := range []struct {
		name string
		cfg  Config
		want []string
	}{
		{"make run", Config{MetadataDir: "./data/meta"}, []string{"from this directory (built-in configuration)"}},
		{"installed", Config{Source: SystemFile, Via: SystemFile, MetadataDir: meta}, []string{"from any directory"}},
		{"local file", Config{Source: filepath.Join(dir, LocalFile), Via: "./garage-web.toml", MetadataDir: "meta"},
			[]string{"from this directory (./garage-web.toml)", "-c " + filepath.Join(dir, LocalFile)}},
		{"-c", Config{Source: "/srv/gw.toml", Via: "-c", MetadataDir: meta}, []string{"garage-web -c /srv/gw.toml COMMAND", "GARAGE_CONFIG=/srv/gw.toml"}},
	} {
		got := tc.cfg.CLIHint()
		for _, w := range tc.want {
			if !strings.Contains(got, w) {
				t.Errorf("%s: %q does not say %q", tc.name, got, w)
			}
		}
	}
	// The stored token: the CLI must be able to read it.
	c := Config{Source: SystemFile, Via: SystemFile, MetadataDir: meta}
	if err := c.EnsureSecrets(); err != nil {
		t.Fatal(err)
	}
	if got := c.CLIHint(); !strings.Contains(got, "who can read "+filepath.Join(meta, AdminTokenFileName)) {
		t.Errorf("stored token: %q does not name the token file", got)
	}
}

func TestAddrProblemWording(t *testing.T) {
	for in, want := range map[string]string{
		"127.0.0.1:3900":  "",
		"127.0.0.1:99999": `port 99999 is out of range (0 to 65535) in "127.0.0.1:99999"`,
		"127.0.0.1:":      `"127.0.0.1:" has no port: use host:port, e.g. 127.0.0.1:3900`,
		"abc":             `"abc" is not host:port (e.g. 127.0.0.1:3900, [::]:3900)`,
	} {
		if got := addrProblem(in); got != want {
			t.Errorf("addrProblem(%q) = %q, want %q", in, got, want)
		}
	}
}
