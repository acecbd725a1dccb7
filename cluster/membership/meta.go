package membership

import (
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/garage-web/garage-web/cluster"
)

// metaVersion is the first byte of the node metadata; decoders of older
// versions stay when a new one is added.
const metaVersion = 1

// nodeMeta is what a node advertises in its memberlist metadata.
//
// Encoding, version 1:
//
//	1 byte   version (1)
//	32 bytes node id
//	1 byte   len(addr), addr   (advertised RPC host:port, <= MaxAddrLen)
//	1 byte   len(zone), zone   (<= MaxZoneLen)
//	2 bytes  len(app) big-endian, app (<= MaxAppMeta)
//
// At most 1+32+1+128+1+64+2+256 = 485 bytes, under memberlist's 512.
type nodeMeta struct {
	ID   cluster.NodeID
	Addr string
	Zone string
	App  []byte
}

var errBadMeta = errors.New("membership: bad node metadata")

func (m nodeMeta) encode() ([]byte, error) {
	switch {
	case len(m.Addr) > MaxAddrLen:
		return nil, fmt.Errorf("%w: address %d bytes", errBadMeta, len(m.Addr))
	case len(m.Zone) > MaxZoneLen:
		return nil, fmt.Errorf("%w: zone %d bytes", errBadMeta, len(m.Zone))
	case len(m.App) > MaxAppMeta:
		return nil, fmt.Errorf("%w: %d bytes, at most %d", ErrMetaTooLarge, len(m.App), MaxAppMeta)
	}
	b := make([]byte, 0, 1+len(m.ID)+1+len(m.Addr)+1+len(m.Zone)+2+len(m.App))
	b = append(b, metaVersion)
	b = append(b, m.ID[:]...)
	b = append(b, byte(len(m.Addr)))
	b = append(b, m.Addr...)
	b = append(b, byte(len(m.Zone)))
	b = append(b, m.Zone...)
	b = binary.BigEndian.AppendUint16(b, uint16(len(m.App)))
	b = append(b, m.App...)
	return b, nil
}

func decodeMeta(b []byte) (nodeMeta, error) {
	var m nodeMeta
	if len(b) == 0 {
		return m, fmt.Errorf("%w: empty", errBadMeta)
	}
	if b[0] != metaVersion {
		return m, fmt.Errorf("%w: version %d", errBadMeta, b[0])
	}
	r := b[1:]
	if len(r) < len(m.ID) {
		return m, fmt.Errorf("%w: short id", errBadMeta)
	}
	copy(m.ID[:], r)
	r = r[len(m.ID):]
	addr, r, ok := lenPrefixed(r, 1)
	if !ok {
		return m, fmt.Errorf("%w: short address", errBadMeta)
	}
	zone, r, ok := lenPrefixed(r, 1)
	if !ok {
		return m, fmt.Errorf("%w: short zone", errBadMeta)
	}
	app, r, ok := lenPrefixed(r, 2)
	if !ok {
		return m, fmt.Errorf("%w: short application metadata", errBadMeta)
	}
	if len(r) != 0 {
		return m, fmt.Errorf("%w: %d trailing bytes", errBadMeta, len(r))
	}
	m.Addr, m.Zone = string(addr), string(zone)
	if len(app) > 0 {
		m.App = append([]byte(nil), app...)
	}
	return m, nil
}

// lenPrefixed splits off a field preceded by its length in n (1 or 2)
// big-endian bytes.
func lenPrefixed(b []byte, n int) (field, rest []byte, ok bool) {
	if len(b) < n {
		return nil, nil, false
	}
	l := int(b[0])
	if n == 2 {
		l = int(binary.BigEndian.Uint16(b))
	}
	b = b[n:]
	if len(b) < l {
		return nil, nil, false
	}
	return b[:l], b[l:], true
}
