// Package nixsign signs Nix binary cache narinfo files with an Ed25519
// key in Nix's own formats: a secret key is "NAME:BASE64(64 bytes)" (as
// `nix key generate-secret` writes it), a public key "NAME:BASE64(32
// bytes)", and a narinfo signature is a "Sig: NAME:BASE64(sig)" line
// over the fingerprint
//
//	1;<StorePath>;<NarHash>;<NarSize>;<References as full paths, comma-separated>
//
// It lets a cache sign what clients upload, so that pushers need only
// write access, not the private key.
package nixsign

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"path"
	"strings"
)

// SecretKey is a named Ed25519 signing key.
type SecretKey struct {
	Name string
	Key  ed25519.PrivateKey
}

// ErrBadKey is returned for a key that is not NAME:BASE64.
var ErrBadKey = errors.New("not a Nix secret key (NAME:BASE64 of 64 bytes)")

// Generate returns a new key named name.
func Generate(name string) (SecretKey, error) {
	if !validName(name) {
		return SecretKey{}, fmt.Errorf("key name %q: letters, digits, '.', '-' and '_' only", name)
	}
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return SecretKey{}, err
	}
	return SecretKey{Name: name, Key: priv}, nil
}

// ParseSecretKey parses NAME:BASE64.
func ParseSecretKey(s string) (SecretKey, error) {
	name, b64, ok := strings.Cut(strings.TrimSpace(s), ":")
	if !ok || !validName(name) {
		return SecretKey{}, ErrBadKey
	}
	raw, err := base64.StdEncoding.DecodeString(b64)
	if err != nil || len(raw) != ed25519.PrivateKeySize {
		return SecretKey{}, ErrBadKey
	}
	return SecretKey{Name: name, Key: ed25519.PrivateKey(raw)}, nil
}

func validName(n string) bool {
	if n == "" || len(n) > 128 {
		return false
	}
	for _, c := range n {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// String is the key in Nix's secret key format.
func (k SecretKey) String() string { return k.Name + ":" + base64.StdEncoding.EncodeToString(k.Key) }

// PublicKey is the public key in Nix's format, for trusted-public-keys.
func (k SecretKey) PublicKey() string {
	return k.Name + ":" + base64.StdEncoding.EncodeToString(k.Key.Public().(ed25519.PublicKey))
}

// Fingerprint returns the fingerprint Nix signs for a narinfo, false when
// a field it needs is missing.
func Fingerprint(narinfo []byte) (string, bool) {
	var storePath, narHash, narSize string
	var refs []string
	for _, line := range strings.Split(string(narinfo), "\n") {
		k, v, ok := strings.Cut(line, ": ")
		if !ok {
			continue
		}
		switch k {
		case "StorePath":
			storePath = v
		case "NarHash":
			narHash = v
		case "NarSize":
			narSize = v
		case "References":
			refs = strings.Fields(v)
		}
	}
	if storePath == "" || narHash == "" || narSize == "" || !strings.HasPrefix(storePath, "/") {
		return "", false
	}
	dir := path.Dir(storePath)
	full := make([]string, len(refs))
	for i, r := range refs {
		full[i] = dir + "/" + r
	}
	return "1;" + storePath + ";" + narHash + ";" + narSize + ";" + strings.Join(full, ","), true
}

// Sign returns narinfo with a "Sig:" line by k appended, or narinfo
// unchanged (and false) when it already has a signature by k's name or
// lacks the fields of a fingerprint.
func Sign(narinfo []byte, k SecretKey) ([]byte, bool) {
	for _, line := range bytes.Split(narinfo, []byte("\n")) {
		if bytes.HasPrefix(line, []byte("Sig: "+k.Name+":")) {
			return narinfo, false
		}
	}
	fp, ok := Fingerprint(narinfo)
	if !ok {
		return narinfo, false
	}
	sig := ed25519.Sign(k.Key, []byte(fp))
	out := make([]byte, 0, len(narinfo)+len(k.Name)+100)
	out = append(out, narinfo...)
	if len(out) > 0 && out[len(out)-1] != '\n' {
		out = append(out, '\n')
	}
	out = append(out, "Sig: "+k.Name+":"+base64.StdEncoding.EncodeToString(sig)+"\n"...)
	return out, true
}
