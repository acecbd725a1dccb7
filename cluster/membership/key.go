package membership

import (
	"crypto/hkdf"
	"crypto/sha256"
	"fmt"
)

// gossipKeyLabel is the HKDF info string of the gossip key; another use of
// the cluster secret takes another label, so keys never repeat.
const gossipKeyLabel = "garage-web gossip v1"

// gossipKey derives the 32-byte AES-256 key memberlist encrypts gossip
// with from the cluster secret (HKDF-SHA-256, no salt).
func gossipKey(secret []byte) ([]byte, error) {
	k, err := hkdf.Key(sha256.New, secret, nil, gossipKeyLabel, 32)
	if err != nil {
		return nil, fmt.Errorf("membership: derive gossip key: %w", err)
	}
	return k, nil
}
