package model

import (
	"errors"
	"testing"
)

func TestCheckWholeChecksums(t *testing.T) {
	comp := &ObjectMeta{Checksums: map[string]string{"CRC32": "AAAAAA==-2"}, ChecksumType: ChecksumComposite}
	full := &ObjectMeta{Checksums: map[string]string{"CRC32": "AAAAAA=="}, ChecksumType: ChecksumFullObject}
	for _, c := range []struct {
		want map[string]string
		meta *ObjectMeta
		ok   bool
	}{
		{nil, &ObjectMeta{}, true},
		{map[string]string{"CRC32": "AAAAAA==-2"}, comp, true},
		{map[string]string{"CRC32": "AAAAAA=="}, comp, true},
		{map[string]string{"CRC32": "AAAAAA=="}, full, true},
		{map[string]string{"CRC32": "AAAAAB=="}, full, false},
		{map[string]string{"CRC32C": "AAAAAA=="}, full, false},
		{map[string]string{"CRC32": "AAAAAA=="}, &ObjectMeta{}, false},
	} {
		err := checkWholeChecksums(c.want, c.meta)
		if (err == nil) != c.ok || (err != nil && !errors.Is(err, ErrBadDigest)) {
			t.Errorf("want %v meta %+v: err %v, ok want %v", c.want, c.meta, err, c.ok)
		}
	}
}
