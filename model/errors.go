package model

import (
	"errors"
	"fmt"

	"github.com/garage-web/garage-web/table"
)

// Errors returned by the model. Front ends map them to their protocol's
// errors with errors.Is.
var (
	ErrNoSuchAccessKey = errors.New("no such access key")
	ErrNoSuchBucket    = errors.New("no such bucket")
	ErrBucketExists    = errors.New("bucket name already in use")
	// ErrBucketOwnedByYou wraps ErrBucketExists: the caller's key owns
	// the bucket that has the name.
	ErrBucketOwnedByYou = fmt.Errorf("%w by a bucket you own", ErrBucketExists)
	ErrBucketNotEmpty   = errors.New("bucket not empty")
	// ErrWriteRace: a PUT met a version of the key stamped after its own,
	// written at the same time, and was not acknowledged. It wraps
	// table.ErrQuorum so that front ends answer 503 and clients retry.
	ErrWriteRace         = fmt.Errorf("a newer version was written at the same time, retry: %w", table.ErrQuorum)
	ErrInvalidBucketName = errors.New("invalid bucket name")
	ErrNoSuchObject      = errors.New("no such object")
	ErrNoSuchUpload      = errors.New("no such upload")
	ErrPrecondition      = errors.New("precondition failed")
	ErrInvalidPart       = errors.New("invalid part")
	ErrInvalidPartOrder  = errors.New("parts not in ascending order")
	ErrEntityTooSmall    = errors.New("part too small")
	ErrIncompleteBody    = errors.New("body shorter than announced")
	ErrNameInUse         = errors.New("name already in use")
	// ErrKeyNameInUse: another live key has the name (the *Unique key
	// writes of key_names.go).
	ErrKeyNameInUse = errors.New("key name already in use")
)
