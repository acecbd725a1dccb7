package config

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
)

// Names of the files, under metadata_dir, that hold generated secrets.
const (
	RPCSecretFileName  = "rpc_secret"
	AdminTokenFileName = "admin_token"
)

// RPCSecretPath is where EnsureSecrets stores a generated rpc_secret.
func (c *Config) RPCSecretPath() string {
	return filepath.Join(c.MetadataDir, RPCSecretFileName)
}

// AdminTokenPath is where EnsureSecrets stores a generated admin_token.
func (c *Config) AdminTokenPath() string {
	return filepath.Join(c.MetadataDir, AdminTokenFileName)
}

// EnsureSecrets fills an empty rpc_secret and admin_token from their files
// under metadata_dir, generating and storing them (mode 0600) on first
// start. It is safe against two processes starting at once: the first file
// stored wins and both use it.
func (c *Config) EnsureSecrets() error {
	if c.RPCSecret == "" {
		s, err := loadOrCreate(c.RPCSecretPath(), func() string { return hex.EncodeToString(random32()) })
		if err != nil {
			return errorf("rpc_secret", "%s", err)
		}
		if !isHex(s, RPCSecretLen) {
			return errorf("rpc_secret", "%s: must be %d hex characters", c.RPCSecretPath(), RPCSecretLen)
		}
		c.RPCSecret = s
	}
	if c.Admin.AdminToken == "" {
		s, err := loadOrCreate(c.AdminTokenPath(), func() string { return base64.RawURLEncoding.EncodeToString(random32()) })
		if err != nil {
			return errorf("admin.admin_token", "%s", err)
		}
		if !isToken(s) {
			return errorf("admin.admin_token", "%s: must be printable ASCII without spaces", c.AdminTokenPath())
		}
		c.Admin.AdminToken = s
	}
	return nil
}

// AdminToken is the admin API token: admin.admin_token when set, else the
// token the server stored in <metadata_dir>/admin_token, else "". The CLI
// uses it to reach a node started from the same directory.
func (c *Config) AdminToken() string {
	if c.Admin.AdminToken != "" {
		return c.Admin.AdminToken
	}
	s, err := readSecret(c.AdminTokenPath())
	if err != nil {
		return ""
	}
	return s
}

func random32() []byte {
	b := make([]byte, 32)
	_, _ = rand.Read(b) // never fails (crypto/rand crashes the program instead)
	return b
}

// loadOrCreate returns the secret stored at path, storing gen() there
// first if there is none. The file is written whole (temporary file,
// fsync, hard link), so a crash never leaves a truncated secret.
func loadOrCreate(path string, gen func() string) (string, error) {
	s, err := readSecret(path)
	if err == nil {
		return s, nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return "", err // there is a file, but it is unreadable or empty
	}
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", err
	}
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp*") // mode 0600
	if err != nil {
		return "", err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.WriteString(gen() + "\n"); err != nil {
		tmp.Close()
		return "", err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return "", err
	}
	if err := tmp.Close(); err != nil {
		return "", err
	}
	// Link fails if path exists: a concurrent start stored its secret
	// first, and we use that one.
	if err := os.Link(tmp.Name(), path); err != nil && !errors.Is(err, fs.ErrExist) {
		return "", err
	}
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync()
		d.Close()
	}
	return readSecret(path)
}
