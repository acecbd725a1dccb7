package rpc

import (
	"errors"
	"fmt"
	"io"
)

// readBody reads a request or response body of at most limit bytes.
// When the sender declared its length (every body this package sends
// does) and it is at most maxPrealloc, it is read into one buffer of that
// size: io.ReadAll would start at 512 bytes and grow the buffer
// (allocating and copying) up to the size, in as many reads. A body
// longer than limit is an error wrapping errTooLong, whether declared or
// not.
func readBody(r io.Reader, declared, limit int64) ([]byte, error) {
	if declared > limit {
		return nil, fmt.Errorf("%w: %d bytes declared, limit %d", errTooLong, declared, limit)
	}
	if declared < 0 || declared > maxPrealloc {
		data, err := io.ReadAll(io.LimitReader(r, limit+1))
		if err != nil {
			return nil, err
		}
		if int64(len(data)) > limit {
			return nil, fmt.Errorf("%w: limit %d", errTooLong, limit)
		}
		return data, nil
	}
	// One byte more of capacity to look for the end (a [1]byte passed to
	// an io.Reader would be one more allocation).
	data := make([]byte, declared, declared+1)
	if _, err := io.ReadFull(r, data); err != nil {
		if errors.Is(err, io.EOF) {
			err = io.ErrUnexpectedEOF
		}
		return nil, err
	}
	// The end of the body must follow: a sender that declared less than
	// it sends is broken (net/http checks it too, this is belt and braces).
	probe := data[declared : declared+1]
	for {
		n, err := r.Read(probe)
		if n > 0 {
			return nil, fmt.Errorf("body longer than the %d bytes declared", declared)
		}
		if errors.Is(err, io.EOF) {
			return data, nil
		}
		if err != nil {
			return nil, err
		}
	}
}

// maxPrealloc bounds the buffer allocated on a declared length alone,
// before the bytes arrive: a larger body grows its buffer as it comes, so
// that streams that declare much and send little cannot pin memory.
const maxPrealloc = 4 << 20

// errTooLong is wrapped by readBody's error for a body over its limit.
var errTooLong = errors.New("body over the limit")
