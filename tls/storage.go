package autotls

import (
	"context"
	"fmt"
	"io/fs"
	"log/slog"
	"math/rand/v2"
	"path"
	"strings"
	"sync"
	"time"

	"github.com/caddyserver/certmagic"

	"github.com/garage-web/garage-web/model"
)

// Files is the replicated store a [Storage] keeps its files and locks in.
// *model.Model implements it (model/certs.go).
type Files interface {
	PutCertFile(ctx context.Context, key string, data []byte) error
	GetCertFile(ctx context.Context, key string) (model.CertFile, bool, error)
	ListCertFiles(ctx context.Context, prefix string, limit int) ([]model.CertFile, error)
	DeleteCertFiles(ctx context.Context, key string) error
	CertLockClaims(ctx context.Context, name string) (map[string]model.CertLockClaim, error)
	SetCertLockClaim(ctx context.Context, name, owner string, c *model.CertLockClaim) error
}

var (
	_ certmagic.Storage          = (*Storage)(nil)
	_ certmagic.LockLeaseRenewer = (*Storage)(nil)
	_ Files                      = (*model.Model)(nil)
)

// Lease defaults. See the package documentation, "Locks".
const (
	// DefaultLease is how long a lock outlives its holder's last renewal:
	// when a holder dies, another node takes the lock over after this.
	DefaultLease = 60 * time.Second
	// DefaultPoll is how often a waiting node looks at the lock again.
	DefaultPoll = time.Second
)

// Storage is a certmagic.Storage over the cluster's metadata: every node
// of the cluster sees the same files, and its locks exclude each other
// across nodes. It is safe for concurrent use. Use one Storage per node:
// lock claims are made in the name of the node (Owner).
type Storage struct {
	files Files
	owner string
	lease time.Duration
	poll  time.Duration
	now   func() time.Time
	log   *slog.Logger

	mu    sync.Mutex
	names map[string]*nameLock // in-process exclusion and held leases
}

// StorageOptions tune a Storage; zero values are the defaults.
type StorageOptions struct {
	// Lease is DefaultLease when zero.
	Lease time.Duration
	// Poll is DefaultPoll when zero.
	Poll time.Duration
	// Now reads the wall clock lease expiries are compared with
	// (time.Now when nil).
	Now func() time.Time
	// Logger receives lease renewal failures (discarded when nil).
	Logger *slog.Logger
}

// NewStorage returns the storage of node owner (its node id) over files.
func NewStorage(files Files, owner string, o StorageOptions) *Storage {
	if o.Lease <= 0 {
		o.Lease = DefaultLease
	}
	if o.Poll <= 0 {
		o.Poll = DefaultPoll
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	return &Storage{files: files, owner: owner, lease: o.Lease, poll: o.Poll, now: o.Now, log: o.Logger, names: map[string]*nameLock{}}
}

// String names the storage in certmagic's logs.
func (s *Storage) String() string { return "garage-web cluster storage (node " + short(s.owner) + ")" }

func notExist(key string) error { return fmt.Errorf("%s: %w", key, fs.ErrNotExist) }

// Store implements certmagic.Storage.
func (s *Storage) Store(ctx context.Context, key string, value []byte) error {
	return s.files.PutCertFile(ctx, key, value)
}

// Load implements certmagic.Storage; a missing key is fs.ErrNotExist.
func (s *Storage) Load(ctx context.Context, key string) ([]byte, error) {
	f, ok, err := s.files.GetCertFile(ctx, key)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, notExist(key)
	}
	return f.Data(), nil
}

// Delete implements certmagic.Storage: it deletes key and, if key is a
// directory, every key under it. A missing key is not an error.
func (s *Storage) Delete(ctx context.Context, key string) error {
	return s.files.DeleteCertFiles(ctx, key)
}

// Exists implements certmagic.Storage: key is a file or a directory.
func (s *Storage) Exists(ctx context.Context, key string) bool {
	_, err := s.Stat(ctx, key)
	return err == nil
}

// Stat implements certmagic.Storage. A directory (a prefix of files) has
// IsTerminal false and no size or time.
func (s *Storage) Stat(ctx context.Context, key string) (certmagic.KeyInfo, error) {
	f, ok, err := s.files.GetCertFile(ctx, key)
	if err != nil {
		return certmagic.KeyInfo{}, err
	}
	if ok {
		return certmagic.KeyInfo{Key: key, Modified: f.Modified(), Size: int64(len(f.Data())), IsTerminal: true}, nil
	}
	under, err := s.files.ListCertFiles(ctx, dirPrefix(key), 1)
	if err != nil {
		return certmagic.KeyInfo{}, err
	}
	if len(under) == 0 {
		return certmagic.KeyInfo{}, notExist(key)
	}
	return certmagic.KeyInfo{Key: key, IsTerminal: false}, nil
}

// List implements certmagic.Storage: the files and directories directly
// in directory dir, or everything under it when recursive, as full keys.
// A directory that holds nothing is fs.ErrNotExist.
func (s *Storage) List(ctx context.Context, dir string, recursive bool) ([]string, error) {
	prefix := dirPrefix(dir)
	files, err := s.files.ListCertFiles(ctx, prefix, 0)
	if err != nil {
		return nil, err
	}
	if len(files) == 0 {
		return nil, notExist(dir)
	}
	seen := map[string]bool{}
	var out []string
	add := func(k string) {
		if !seen[k] {
			seen[k] = true
			out = append(out, k)
		}
	}
	for _, f := range files {
		rest := strings.TrimPrefix(f.Key, prefix)
		if !recursive {
			first, _, _ := strings.Cut(rest, "/")
			add(path.Join(dir, first))
			continue
		}
		// Every directory on the way, then the file.
		for i := 0; i < len(rest); i++ {
			if rest[i] == '/' {
				add(path.Join(dir, rest[:i]))
			}
		}
		add(path.Join(dir, rest))
	}
	return out, nil
}

// dirPrefix is the key prefix of the files in directory dir ("" for the
// root).
func dirPrefix(dir string) string {
	dir = strings.Trim(dir, "/")
	if dir == "" {
		return ""
	}
	return dir + "/"
}

func short(id string) string {
	if len(id) > 16 {
		return id[:16]
	}
	return id
}

// jitter returns d plus or minus up to a quarter of d.
func jitter(d time.Duration) time.Duration {
	q := int64(d / 4)
	if q <= 0 {
		return d
	}
	return d - time.Duration(q) + time.Duration(rand.Int64N(2*q+1))
}

// sleep waits d or until ctx ends.
func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
