package checksum_test

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/garage-web/garage-web/checksum"
)

func ExampleNew() {
	h := http.Header{}
	h.Set("x-amz-checksum-crc32c", "4waSgw==")
	r, err := checksum.New(strings.NewReader("123456789"), h, nil)
	if err != nil {
		panic(err)
	}
	if _, err := io.Copy(io.Discard, r); err != nil {
		panic(err) // checksum.ErrBadDigest on a mismatch
	}
	fmt.Printf("%d bytes, md5 %x, %v\n", r.Size(), r.MD5(), r.Checksums())

	h.Set("x-amz-checksum-crc32c", "AAAAAA==")
	r, _ = checksum.New(strings.NewReader("123456789"), h, nil)
	_, err = io.Copy(io.Discard, r)
	fmt.Println(errors.Is(err, checksum.ErrBadDigest))
	// Output:
	// 9 bytes, md5 25f9e794323b453885f5181f1b624d0b, map[CRC32C:4waSgw==]
	// true
}

func ExampleCombine() {
	parts := [][]byte{{0xca, 0xfe, 0xba, 0xbe}, {0xde, 0xad, 0xbe, 0xef}}
	fmt.Println(checksum.Header(checksum.CRC32), checksum.Combine(checksum.CRC32, parts))
	// Output: x-amz-checksum-crc32 83s/Mg==-2
}
