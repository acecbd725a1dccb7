//go:build !linux

package storage

import "os"

// writePayload writes payload to the new file f through the page cache.
func (s *BlockStore) writePayload(f *os.File, payload []byte) error {
	_, err := f.Write(payload)
	return err
}
