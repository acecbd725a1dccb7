//go:build !linux

package storage

import (
	"errors"
	"os"
)

var errNoXattr = errors.New("extended attributes not supported on this platform")

// setCheckAttr is unsupported here: blocks are verified with SHA-256.
func setCheckAttr(*os.File, []byte) error { return errNoXattr }

// setCheckAttrPath is unsupported here.
func setCheckAttrPath(string, []byte) error { return errNoXattr }

// getCheckAttr finds no record here.
func getCheckAttr(*os.File, *[checkRecordSize]byte) []byte { return nil }
