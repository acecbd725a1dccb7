package membership

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"fmt"
	"io"
	"net"
	"time"

	"github.com/garage-web/garage-web/cluster"
)

// The identity probe asks the node behind an address for its id before
// any gossip is exchanged with it (a memberlist ping would already carry
// this node's alive message to it, piggy-backed). It travels on a gossip
// stream whose first byte is idProbeByte, a value memberlist never starts
// a stream with (its message types are 0-13, its label header 244):
//
//	request:  idProbeByte, 16-byte random challenge
//	answer:   32-byte node id, HMAC-SHA-256(gossip key, idProbeLabel || challenge || id)
//
// The MAC shows that the node answering holds the cluster secret.
const (
	idProbeByte     = 0xE7
	idProbeLabel    = "garage-web id probe v1"
	challengeLen    = 16
	idProbeTimeout  = 10 * time.Second // bounds an answer, and reading a stream's first byte
	idProbeAnswerSz = len(cluster.NodeID{}) + sha256.Size
)

func idProbeMAC(key, challenge []byte, id cluster.NodeID) []byte {
	h := hmac.New(sha256.New, key)
	h.Write([]byte(idProbeLabel))
	h.Write(challenge)
	h.Write(id[:])
	return h.Sum(nil)
}

// probeID asks the node at addr for its id.
func probeID(ctx context.Context, streams StreamTransport, key []byte, addr string) (cluster.NodeID, error) {
	var id cluster.NodeID
	ctx, cancel := context.WithTimeout(ctx, idProbeTimeout)
	defer cancel()
	c, err := streams.DialStream(ctx, addr)
	if err != nil {
		return id, err
	}
	defer func() { _ = c.Close() }()
	dl, _ := ctx.Deadline()
	_ = c.SetDeadline(dl)
	req := make([]byte, 1+challengeLen)
	req[0] = idProbeByte
	if _, err := rand.Read(req[1:]); err != nil {
		return id, err
	}
	if _, err := c.Write(req); err != nil {
		return id, fmt.Errorf("identity probe: %w", err)
	}
	ans := make([]byte, idProbeAnswerSz)
	if _, err := io.ReadFull(c, ans); err != nil {
		return id, fmt.Errorf("identity probe: %w", err)
	}
	copy(id[:], ans)
	if !hmac.Equal(ans[len(id):], idProbeMAC(key, req[1:], id)) {
		return cluster.NodeID{}, fmt.Errorf("identity probe: the node at %s does not hold the cluster secret", addr)
	}
	return id, nil
}

// answerIDProbe answers a probe whose first byte was already read.
func answerIDProbe(c net.Conn, key []byte, id cluster.NodeID) error {
	challenge := make([]byte, challengeLen)
	if _, err := io.ReadFull(c, challenge); err != nil {
		return err
	}
	_, err := c.Write(append(id[:], idProbeMAC(key, challenge, id)...))
	return err
}

// peekedConn gives back the byte read to tell a probe from gossip.
type peekedConn struct {
	net.Conn
	first []byte
}

func (c *peekedConn) Read(p []byte) (int, error) {
	if len(c.first) > 0 {
		n := copy(p, c.first)
		c.first = c.first[n:]
		return n, nil
	}
	return c.Conn.Read(p)
}
