package storage

import (
	"context"
	"crypto/rand"
	"fmt"
	"testing"
)

// BenchmarkBlockRead reads a 1 MiB block from its file (page cache warm)
// with each check: the check record's CRC-32C (the read path) and the
// SHA-256 that scrub (and files without a record) use.
func BenchmarkBlockRead(b *testing.B) {
	s := mustBlockStore(b, 0)
	data := make([]byte, 1<<20)
	rand.Read(data)
	h, err := s.Write(context.Background(), data)
	if err != nil {
		b.Fatal(err)
	}
	for _, full := range []bool{false, true} {
		b.Run(map[bool]string{false: "crc32c", true: "sha256"}[full], func(b *testing.B) {
			b.SetBytes(int64(len(data)))
			for b.Loop() {
				_, release, err := s.readDisk(h, full)
				if err != nil {
					b.Fatal(err)
				}
				release()
			}
		})
	}
}

// BenchmarkBlockWrite writes new 1 MiB blocks (fsync, rename, directory
// fsync each) from 4 goroutines, through the page cache and with O_DIRECT.
func BenchmarkBlockWrite(b *testing.B) {
	for _, direct := range []bool{false, true} {
		b.Run(fmt.Sprintf("direct=%v", direct), func(b *testing.B) {
			s := mustBlockStore(b, 0)
			s.SetDirectWrites(direct)
			b.SetBytes(1 << 20)
			b.SetParallelism(2) // 2 x GOMAXPROCS writers
			b.RunParallel(func(pb *testing.PB) {
				data := make([]byte, 1<<20)
				rand.Read(data)
				for i := uint64(0); pb.Next(); i++ {
					data[0], data[1], data[2] = byte(i), byte(i>>8), byte(i>>16)
					rand.Read(data[3:35])
					if _, err := s.Write(context.Background(), data); err != nil {
						b.Fatal(err)
					}
				}
			})
		})
	}
}
