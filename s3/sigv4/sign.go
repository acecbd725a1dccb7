package sigv4

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"strings"
	"sync"
)

// Protocol constants.
const (
	algorithm       = "AWS4-HMAC-SHA256"
	chunkAlgorithm  = "AWS4-HMAC-SHA256-PAYLOAD"
	trailAlgorithm  = "AWS4-HMAC-SHA256-TRAILER"
	terminator      = "aws4_request"
	service         = "s3"
	amzDateFormat   = "20060102T150405Z"
	scopeDateFormat = "20060102"

	// emptySHA256 is the hex SHA-256 of the empty string.
	emptySHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
)

func hmacSHA256(key []byte, data string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(data))
	return m.Sum(nil)
}

func hexSHA256(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

// signingKey derives the key that signs requests of one day, region and
// service: HMAC("AWS4"+secret, date) chained through region, service and
// "aws4_request".
func signingKey(secret, date, region, svc string) []byte {
	k := hmacSHA256([]byte("AWS4"+secret), date)
	k = hmacSHA256(k, region)
	k = hmacSHA256(k, svc)
	return hmacSHA256(k, terminator)
}

// signingKeys caches derived signing keys: a key signs every request of
// one day, so the chain of four HMACs runs once a day per access key
// instead of once a request. A full cache starts over.
type signingKeys struct {
	mu sync.Mutex
	m  map[signingScope][]byte
}

type signingScope struct{ secret, date, region, svc string }

// maxSigningKeys bounds the cache.
const maxSigningKeys = 4096

func (c *signingKeys) get(secret, date, region, svc string) []byte {
	s := signingScope{secret, date, region, svc}
	c.mu.Lock()
	k, ok := c.m[s]
	c.mu.Unlock()
	if ok {
		return k
	}
	k = signingKey(secret, date, region, svc)
	c.mu.Lock()
	if c.m == nil || len(c.m) >= maxSigningKeys {
		c.m = map[signingScope][]byte{}
	}
	c.m[s] = k
	c.mu.Unlock()
	return k
}

// stringToSign joins the lines that are signed: the algorithm, the request
// time, the credential scope and a final hex digest or signature chain.
func stringToSign(lines ...string) string { return strings.Join(lines, "\n") }

// signHex returns the lower-case hex HMAC-SHA256 of sts under key.
func signHex(key []byte, sts string) string { return hex.EncodeToString(hmacSHA256(key, sts)) }

// equalSignatures compares two hex signatures in constant time.
func equalSignatures(a, b string) bool {
	return subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1
}

// isLowerHex reports whether s is n lower-case hex digits.
func isLowerHex(s string, n int) bool {
	if len(s) != n {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}
