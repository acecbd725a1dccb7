package blockrepl

import (
	"fmt"

	"github.com/garage-web/garage-web/storage"
)

// wireVersion is the format version of requests and responses. Decoders
// refuse versions they do not know.
const wireVersion = 1

// reqHeaderSize is the size of a request header: version and hash.
const reqHeaderSize = 1 + storage.HashSize

// status is the outcome a replica reports in a response.
type status byte

const (
	statusOK         status = 0 // block.get: the block follows; block.put: stored; block.has: held
	statusNotFound   status = 1 // the replica has no file for the block
	statusCorrupt    status = 2 // the replica's copy fails its hash check
	statusBadRequest status = 3 // malformed request or a hash mismatch on put; a message follows
	statusError      status = 4 // local failure (disk); a message follows
)

func (s status) String() string {
	switch s {
	case statusOK:
		return "ok"
	case statusNotFound:
		return "not found"
	case statusCorrupt:
		return "corrupt"
	case statusBadRequest:
		return "bad request"
	case statusError:
		return "error"
	}
	return fmt.Sprintf("status %d", byte(s))
}

// encodeRequest returns version, hash and payload in one slice.
func encodeRequest(h storage.Hash, payload []byte) []byte {
	b := make([]byte, reqHeaderSize, reqHeaderSize+len(payload))
	b[0] = wireVersion
	copy(b[1:], h[:])
	return append(b, payload...)
}

// decodeRequest splits a request into its hash and payload (a subslice of
// body).
func decodeRequest(body []byte) (storage.Hash, []byte, error) {
	var h storage.Hash
	if len(body) < reqHeaderSize {
		return h, nil, fmt.Errorf("request of %d bytes, shorter than its %d-byte header", len(body), reqHeaderSize)
	}
	if body[0] != wireVersion {
		return h, nil, fmt.Errorf("request format version %d, want %d", body[0], wireVersion)
	}
	copy(h[:], body[1:reqHeaderSize])
	return h, body[reqHeaderSize:], nil
}

// encodeResponse returns version, status and payload in one slice.
func encodeResponse(st status, payload []byte) []byte {
	b := make([]byte, 2, 2+len(payload))
	b[0], b[1] = wireVersion, byte(st)
	return append(b, payload...)
}

// decodeResponse splits a response into its status and payload (a
// subslice of body).
func decodeResponse(body []byte) (status, []byte, error) {
	if len(body) < 2 {
		return 0, nil, fmt.Errorf("response of %d bytes, shorter than its header", len(body))
	}
	if body[0] != wireVersion {
		return 0, nil, fmt.Errorf("response format version %d, want %d", body[0], wireVersion)
	}
	return status(body[1]), body[2:], nil
}
