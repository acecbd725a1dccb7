package nixsign

import (
	"crypto/ed25519"
	"encoding/base64"
	"strings"
	"testing"
)

const narinfo = `StorePath: /nix/store/8ha4xh3nq6dkrf3wjm7rcfwm4fq2i2c7-hello-2.12
URL: nar/1w1fff338fvdw53sqgamddn1b2xgds473pv6y13gizdbqjv4i5p3.nar.xz
Compression: xz
FileHash: sha256:1w1fff338fvdw53sqgamddn1b2xgds473pv6y13gizdbqjv4i5p3
FileSize: 50088
NarHash: sha256:0yzhigwjl6bws649vcs2asa4lbs8hg93hyix187gc7s7a74w5h80
NarSize: 226488
References: 8ha4xh3nq6dkrf3wjm7rcfwm4fq2i2c7-hello-2.12 jhk8ci7lbdmxvqsnmqlcw0mxhjfgwigl-glibc-2.35
Deriver: abc-hello-2.12.drv
`

func TestSign(t *testing.T) {
	k, err := Generate("cache.example-1")
	if err != nil {
		t.Fatal(err)
	}
	if k2, err := ParseSecretKey(k.String()); err != nil || k2.PublicKey() != k.PublicKey() {
		t.Fatalf("round trip: %v", err)
	}
	fp, ok := Fingerprint([]byte(narinfo))
	want := "1;/nix/store/8ha4xh3nq6dkrf3wjm7rcfwm4fq2i2c7-hello-2.12;sha256:0yzhigwjl6bws649vcs2asa4lbs8hg93hyix187gc7s7a74w5h80;226488;/nix/store/8ha4xh3nq6dkrf3wjm7rcfwm4fq2i2c7-hello-2.12,/nix/store/jhk8ci7lbdmxvqsnmqlcw0mxhjfgwigl-glibc-2.35"
	if !ok || fp != want {
		t.Fatalf("fingerprint %q", fp)
	}
	out, changed := Sign([]byte(narinfo), k)
	if !changed {
		t.Fatal("not signed")
	}
	last := strings.TrimSpace(string(out[len(narinfo):]))
	sig, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(last, "Sig: cache.example-1:"))
	if err != nil || !ed25519.Verify(k.Key.Public().(ed25519.PublicKey), []byte(fp), sig) {
		t.Fatalf("signature line %q does not verify", last)
	}
	if again, changed := Sign(out, k); changed || string(again) != string(out) {
		t.Fatal("signed twice")
	}
	if _, changed := Sign([]byte("URL: x\n"), k); changed {
		t.Fatal("signed a narinfo without fingerprint fields")
	}
	if _, err := ParseSecretKey("nocolon"); err == nil {
		t.Fatal("bad key accepted")
	}
}
