package membership

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/garage-web/garage-web/cluster"
	"github.com/garage-web/garage-web/internal/atomicfile"
)

// peersFileName is the file in Config.Dir that remembers the peers seen.
const peersFileName = "peers"

// peersFileVersion is the format version of the peers file.
const peersFileVersion = 1

// peerRecord is one remembered peer.
type peerRecord struct {
	ID       cluster.NodeID `json:"id"`
	Addr     string         `json:"addr"` // advertised RPC host:port
	Zone     string         `json:"zone,omitempty"`
	LastSeen time.Time      `json:"last_seen"`
}

type peersFile struct {
	Version int          `json:"version"`
	Peers   []peerRecord `json:"peers"`
}

// loadPeers reads dir/peers; a missing file is no peers.
func loadPeers(dir string) ([]peerRecord, error) {
	b, err := os.ReadFile(filepath.Join(dir, peersFileName))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("membership: read peers: %w", err)
	}
	var f peersFile
	if err := json.Unmarshal(b, &f); err != nil {
		return nil, fmt.Errorf("membership: parse %s: %w", filepath.Join(dir, peersFileName), err)
	}
	if f.Version != peersFileVersion {
		return nil, fmt.Errorf("membership: %s: unknown version %d", filepath.Join(dir, peersFileName), f.Version)
	}
	return f.Peers, nil
}

// savePeers writes dir/peers atomically: a temporary file, fsync, rename,
// fsync of the directory.
func savePeers(dir string, peers []peerRecord) error {
	b, err := json.MarshalIndent(peersFile{Version: peersFileVersion, Peers: peers}, "", "  ")
	if err != nil {
		return fmt.Errorf("membership: encode peers: %w", err)
	}
	if err := atomicfile.Write(filepath.Join(dir, peersFileName), append(b, '\n'), 0o600); err != nil {
		return fmt.Errorf("membership: save peers: %w", err)
	}
	return nil
}
