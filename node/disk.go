package node

import (
	"fmt"

	"github.com/garage-web/garage-web/admin"
	"github.com/garage-web/garage-web/internal/diskspace"
)

// openDiskMonitor watches data_dir and metadata_dir for a full disk: block
// writes that fail for lack of space tell it at once, and it measures
// both every few seconds. /health reports degraded while one is full.
func (n *Node) openDiskMonitor() {
	n.disk = diskspace.New([]diskspace.Dir{
		{Name: "data_dir", Path: n.cfg.DataDir},
		{Name: "metadata_dir", Path: n.cfg.MetadataDir},
	}, diskspace.Options{})
	n.blocks.OnWriteError = func(err error) { n.disk.WriteFailed("data_dir", err) }
}

// diskFull returns admin.ErrDegraded with the reason when a disk of the
// node is full, nil otherwise.
func (n *Node) diskFull() error {
	if n.disk == nil {
		return nil
	}
	if r := n.disk.Full(); r != "" {
		return fmt.Errorf("%s: %w", r, admin.ErrDegraded)
	}
	return nil
}
