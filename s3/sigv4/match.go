package sigv4

import (
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"strconv"
	"strings"
)

// The signature check of every request, written to allocate little: the
// canonical request and the string to sign are built in stack buffers
// (they are a few hundred bytes) and hashed there, and the HMAC is
// computed on the stack (hmacSum) instead of through crypto/hmac's
// allocating hash.Hash.

// appendCanonicalHeaders appends what canonicalHeaders returns.
func appendCanonicalHeaders(b []byte, r *http.Request, names []string) []byte {
	for _, name := range names {
		b = append(b, name...)
		b = append(b, ':')
		switch name {
		case "host":
			b = append(b, trimAll(r.Host)...)
		case "content-length":
			if vs := r.Header.Values("Content-Length"); len(vs) > 0 {
				b = appendValues(b, vs)
			} else if r.ContentLength >= 0 {
				b = strconv.AppendInt(b, r.ContentLength, 10)
			}
		case "transfer-encoding":
			if vs := r.Header.Values("Transfer-Encoding"); len(vs) > 0 {
				b = appendValues(b, vs)
			} else {
				b = appendValues(b, r.TransferEncoding)
			}
		default:
			b = appendValues(b, r.Header.Values(name))
		}
		b = append(b, '\n')
	}
	return b
}

func appendValues(b []byte, vs []string) []byte {
	for i, v := range vs {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, trimAll(v)...)
	}
	return b
}

// appendCanonicalRequest appends what canonicalRequest returns.
func appendCanonicalRequest(b []byte, method, uri, query string, headers []byte, signedHeaders []string, payloadHash string) []byte {
	b = append(b, method...)
	b = append(b, '\n')
	b = append(b, uri...)
	b = append(b, '\n')
	b = append(b, query...)
	b = append(b, '\n')
	b = append(b, headers...)
	b = append(b, '\n')
	for i, h := range signedHeaders {
		if i > 0 {
			b = append(b, ';')
		}
		b = append(b, h...)
	}
	b = append(b, '\n')
	return append(b, payloadHash...)
}

// signatureMatches reports whether sig (hex, as sent) is the signature of
// the canonical request creq under key: HMAC(key, string to sign) with
// the request's date and scope.
func signatureMatches(key []byte, amzDate, scope string, creq []byte, sig string) bool {
	digest := sha256.Sum256(creq)
	var buf [256]byte
	sts := append(buf[:0], algorithm...)
	sts = append(sts, '\n')
	sts = append(sts, amzDate...)
	sts = append(sts, '\n')
	sts = append(sts, scope...)
	sts = append(sts, '\n')
	sts = hex.AppendEncode(sts, digest[:])
	mac := hmacSum(key, sts)
	var want [2 * sha256.Size]byte
	hex.Encode(want[:], mac[:])
	return equalHex(want[:], sig)
}

// equalHex compares a computed hex signature with one sent, in time that
// depends only on their lengths.
func equalHex(want []byte, got string) bool {
	if len(want) != len(got) {
		return false
	}
	var diff byte
	for i := range want {
		diff |= want[i] ^ got[i]
	}
	return diff == 0
}

// hmacSum is HMAC-SHA256 (RFC 2104) of msg under key, for keys of at most
// one block (signing keys are 32 bytes): H(key^opad || H(key^ipad || msg)).
// Messages of up to 448 bytes are hashed from a stack buffer.
func hmacSum(key, msg []byte) [sha256.Size]byte {
	if len(key) > sha256.BlockSize {
		k := sha256.Sum256(key)
		key = k[:]
	}
	var buf [sha256.BlockSize + 448]byte
	inner := buf[:sha256.BlockSize]
	for i := range inner {
		inner[i] = 0x36
	}
	for i, c := range key {
		inner[i] ^= c
	}
	inner = append(inner, msg...)
	ih := sha256.Sum256(inner)
	var obuf [sha256.BlockSize + sha256.Size]byte
	for i := range sha256.BlockSize {
		obuf[i] = 0x5c
	}
	for i, c := range key {
		obuf[i] ^= c
	}
	copy(obuf[sha256.BlockSize:], ih[:])
	return sha256.Sum256(obuf[:])
}

// canonicalURIPair returns the canonical URI candidates of canonicalURIs
// without a slice: the second is "" when there is only one.
func canonicalURIPair(r *http.Request) (string, string) {
	sent := r.URL.EscapedPath()
	if sent == "" {
		sent = "/"
	}
	if !needsReencode(sent) {
		// Only unreserved characters and '/': encoding the decoded path
		// gives sent back.
		return sent, ""
	}
	enc := uriEncode(r.URL.Path, true)
	if enc == "" {
		enc = "/"
	}
	if enc == sent {
		return sent, ""
	}
	return sent, enc
}

// needsReencode reports whether p holds anything but the characters
// uriEncode keeps as they are.
func needsReencode(p string) bool {
	return strings.IndexFunc(p, func(c rune) bool {
		return !('A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' || c == '.' || c == '_' || c == '~' || c == '/')
	}) >= 0
}
