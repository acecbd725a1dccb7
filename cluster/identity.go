package cluster

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/garage-web/garage-web/internal/atomicfile"
)

// KeyFile is the name, inside a node's metadata directory, of the file
// that holds its identity key: one PEM "PRIVATE KEY" block (PKCS #8,
// which carries its own version), readable only by its owner.
const KeyFile = "node_key"

// Identity is what a node is known by: its id and the private key that
// proves it. The id is the public half of Key.
type Identity struct {
	ID  NodeID
	Key ed25519.PrivateKey
}

// LoadOrCreateIdentity reads the node's key from dir/node_key, or, on the
// first start, creates a new Ed25519 key pair and stores it there (mode
// 0600, written to a temporary file, synced, then linked into place so a
// concurrent start never replaces a key another process already wrote).
// A file that exists but cannot be read as a key is an error: the node's
// id would change, so it is never overwritten silently.
//
// An older random dir/node_id file is not looked at here; migrating from
// it is the caller's business.
func LoadOrCreateIdentity(dir string) (Identity, error) {
	path := filepath.Join(dir, KeyFile)
	id, err := loadIdentity(path)
	if err == nil || !errors.Is(err, fs.ErrNotExist) {
		return id, err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return Identity{}, fmt.Errorf("node identity: %w", err)
	}
	_, key, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return Identity{}, fmt.Errorf("node identity: generate key: %w", err)
	}
	created, err := storeKey(dir, path, key)
	if err != nil {
		return Identity{}, err
	}
	if !created {
		// Another process created the key between our read and our write.
		return loadIdentity(path)
	}
	return identityOf(key), nil
}

func identityOf(key ed25519.PrivateKey) Identity {
	return Identity{ID: NodeIDOf(key.Public().(ed25519.PublicKey)), Key: key}
}

// loadIdentity reads path; a missing file is reported with fs.ErrNotExist.
func loadIdentity(path string) (Identity, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return Identity{}, fmt.Errorf("node identity: %w", err)
	}
	key, err := parseKey(data)
	if err != nil {
		return Identity{}, fmt.Errorf("node identity: %s is corrupt (%v); restore it from a backup, or remove it to give this node a new id", path, err)
	}
	return identityOf(key), nil
}

func parseKey(data []byte) (ed25519.PrivateKey, error) {
	block, rest := pem.Decode(data)
	if block == nil {
		return nil, errors.New("no PEM block")
	}
	if block.Type != "PRIVATE KEY" {
		return nil, fmt.Errorf("PEM block of type %q, want PRIVATE KEY", block.Type)
	}
	if len(bytes.TrimSpace(rest)) != 0 {
		return nil, errors.New("trailing data after the key")
	}
	k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		return nil, err
	}
	key, ok := k.(ed25519.PrivateKey)
	if !ok {
		return nil, fmt.Errorf("key of type %T, want Ed25519", k)
	}
	return key, nil
}

// storeKey writes key durably to path unless a file is already there;
// created reports whether this call put it there.
func storeKey(dir, path string, key ed25519.PrivateKey) (created bool, err error) {
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return false, fmt.Errorf("node identity: encode key: %w", err)
	}
	data := pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})

	tmp, err := os.CreateTemp(dir, KeyFile+".tmp*")
	if err != nil {
		return false, fmt.Errorf("node identity: %w", err)
	}
	defer os.Remove(tmp.Name()) // after the link, only the temporary name goes
	if err := writeSynced(tmp, data); err != nil {
		return false, fmt.Errorf("node identity: write %s: %w", tmp.Name(), err)
	}
	// A hard link, unlike rename, refuses to replace an existing file. On a
	// file system without hard links, fall back to rename.
	if err := os.Link(tmp.Name(), path); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return false, nil
		}
		if err := os.Rename(tmp.Name(), path); err != nil {
			return false, fmt.Errorf("node identity: %w", err)
		}
	}
	if err := atomicfile.SyncDir(dir); err != nil {
		return false, fmt.Errorf("node identity: %w", err)
	}
	return true, nil
}

func writeSynced(f *os.File, data []byte) error {
	if err := f.Chmod(0o600); err != nil {
		f.Close()
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
