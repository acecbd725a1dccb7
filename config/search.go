package config

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// Where the server and the CLI look for the configuration file, in order:
// -c FILE, $GARAGE_CONFIG (or its older name $GARAGE_CONFIG_FILE),
// ./garage-web.toml, /etc/garage-web.toml, then the embedded default.
const (
	// EnvConfig names the configuration file when -c is not given.
	EnvConfig = "GARAGE_CONFIG"
	// EnvConfigLegacy is the older name of EnvConfig, still read.
	EnvConfigLegacy = "GARAGE_CONFIG_FILE"
	// LocalFile is looked for in the working directory.
	LocalFile = "garage-web.toml"
	// SystemFile is where `make install` puts the configuration.
	SystemFile = "/etc/garage-web.toml"
)

// Search finds the configuration file. The zero value searches the
// working directory and SystemFile with no flag and no environment.
type Search struct {
	// Flag is the value of -c ("" when not given).
	Flag string
	// Env looks up environment variables; nil means none.
	Env func(string) (string, bool)
	// WorkDir is where LocalFile is looked for; "" is the working directory.
	WorkDir string
	// System replaces SystemFile (tests); "" is SystemFile.
	System string
}

// Found is the result of Search.Find.
type Found struct {
	// Path is the absolute path of the file, "" for the embedded default.
	Path string
	// Via says how it was found: "-c", "$GARAGE_CONFIG", "./garage-web.toml",
	// "/etc/garage-web.toml" or "the built-in default".
	Via string
}

// Find returns the first configuration file of the search order. A file
// named by -c or the environment must exist (Load reports it otherwise);
// the two well-known places are skipped when absent.
func (s Search) Find() (Found, error) {
	if s.Flag != "" {
		return found(s.Flag, "-c")
	}
	if s.Env != nil {
		for _, name := range []string{EnvConfig, EnvConfigLegacy} {
			if v, ok := s.Env(name); ok && v != "" {
				return found(v, "$"+name)
			}
		}
	}
	local := LocalFile
	if s.WorkDir != "" {
		local = filepath.Join(s.WorkDir, LocalFile)
	}
	system := s.System
	if system == "" {
		system = SystemFile
	}
	for _, c := range []struct{ path, via string }{{local, "./" + LocalFile}, {system, SystemFile}} {
		st, err := os.Stat(c.path)
		switch {
		case err == nil && st.Mode().IsRegular():
			return found(c.path, c.via)
		case err == nil:
			return Found{}, &Error{Msg: fmt.Sprintf("%s is not a regular file", c.path)}
		case !errors.Is(err, fs.ErrNotExist):
			return Found{}, &Error{Msg: oneLine(err.Error())}
		}
	}
	return Found{Via: "the built-in default"}, nil
}

func found(path, via string) (Found, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return Found{}, &Error{Msg: fmt.Sprintf("%s: %v", path, err)}
	}
	return Found{Path: abs, Via: via}, nil
}

// LoadFound is Load of a file found by Search; it records how it was found
// in Config.Via.
func LoadFound(f Found, env func(string) (string, bool)) (*Config, error) {
	c, err := Load(f.Path, env)
	if err != nil {
		return nil, err
	}
	c.Via = f.Via
	return c, nil
}
