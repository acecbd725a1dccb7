package storage

import (
	"errors"
	"fmt"
	"sync"
	"testing"

	bolt "go.etcd.io/bbolt"
)

// TestBatchGroupsAndIsolatesFailures: concurrent Batch calls all commit;
// a failing call gets its own error and does not undo the others.
func TestBatchGroupsAndIsolatesFailures(t *testing.T) {
	db, err := OpenDB(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.Update(func(tx *bolt.Tx) error { _, err := tx.CreateBucket([]byte("b")); return err }); err != nil {
		t.Fatal(err)
	}
	boom := errors.New("boom")
	var wg sync.WaitGroup
	errs := make([]error, 200)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = db.Batch(func(tx *bolt.Tx) error {
				if err := tx.Bucket([]byte("b")).Put([]byte(fmt.Sprint(i)), []byte("v")); err != nil {
					return err
				}
				switch {
				case i%50 == 7:
					return boom
				case i%50 == 8:
					panic("bad call")
				}
				return nil
			})
		}()
	}
	wg.Wait()
	err = db.View(func(tx *bolt.Tx) error {
		b := tx.Bucket([]byte("b"))
		for i, e := range errs {
			got := b.Get([]byte(fmt.Sprint(i))) != nil
			switch {
			case i%50 == 7 && !errors.Is(e, boom), i%50 == 8 && e == nil:
				t.Errorf("call %d: err = %v, want its failure", i, e)
			case i%50 != 7 && i%50 != 8 && e != nil:
				t.Errorf("call %d failed: %v", i, e)
			}
			if got != (e == nil) {
				t.Errorf("call %d: stored %v, err %v", i, got, e)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
