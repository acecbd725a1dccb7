package model

import (
	"errors"
	"fmt"

	"github.com/garage-web/garage-web/checksum"
)

// ErrBadDigest: a checksum the client gave for a whole multipart upload
// does not match the upload (or the upload has none to compare with).
var ErrBadDigest = errors.New("checksum of the whole upload does not match")

// Checksum types of a multipart upload (ObjectMeta.ChecksumType), as in
// x-amz-checksum-type.
const (
	ChecksumComposite  = checksum.TypeComposite
	ChecksumFullObject = checksum.TypeFullObject
)

// checkWholeChecksums compares the whole-object checksums a client gave
// for a completed upload (its x-amz-checksum-* headers) with the ones
// computed from the parts: a value the upload cannot verify, or that
// differs, is ErrBadDigest. A composite value matches with or without its
// "-N" suffix.
func checkWholeChecksums(want map[string]string, meta *ObjectMeta) error {
	for alg, w := range want {
		got, ok := meta.Checksums[alg]
		if !ok || got == "" {
			return fmt.Errorf("the upload has no %s checksum to compare with the one given: %w", alg, ErrBadDigest)
		}
		if w != got && !(meta.ChecksumType == ChecksumComposite && w+suffixOf(got) == got) {
			return fmt.Errorf("%s checksum of the whole upload is %s, the request says %s: %w", alg, got, w, ErrBadDigest)
		}
	}
	return nil
}

// suffixOf is the "-N" ending of a composite checksum ("" if none).
func suffixOf(s string) string {
	for i := len(s) - 1; i >= 0; i-- {
		if s[i] == '-' {
			return s[i:]
		}
	}
	return ""
}
