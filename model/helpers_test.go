package model

import (
	"io"
	"log/slog"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/garage-web/garage-web/storage"
	"github.com/garage-web/garage-web/table"
	"github.com/garage-web/garage-web/table/crdt"
)

type testEnv struct {
	m      *Model
	db     *storage.DB
	local  *table.Local
	blocks *storage.BlockStore
	refs   *storage.RefCounts
	close  func()
}

func newTestModel(t testing.TB) testEnv {
	t.Helper()
	return openTestModel(t, t.TempDir(), nil)
}

// openTestModel opens a model over dir (reopening what a previous call
// left there) with the wall clock now (time.Now when nil). close closes
// its database; it also runs at the end of the test.
func openTestModel(t testing.TB, dir string, now func() time.Time) testEnv {
	t.Helper()
	return openTestModelWith(t, dir, now, 64<<10, nil)
}

// openTestModelWith is openTestModel with block size blockSize and, if
// wrap is set, the model's block store wrapped by it.
func openTestModelWith(t testing.TB, dir string, now func() time.Time, blockSize int, wrap func(Blocks) Blocks) testEnv {
	t.Helper()
	db, err := storage.OpenDB(filepath.Join(dir, "meta"))
	if err != nil {
		t.Fatal(err)
	}
	var once sync.Once
	closeDB := func() { once.Do(func() { db.Close() }) }
	t.Cleanup(closeDB)
	bs, err := storage.OpenBlockStore(filepath.Join(dir, "data"), 0)
	if err != nil {
		t.Fatal(err)
	}
	refs, err := storage.NewRefCounts(db, bs)
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	clock, err := crdt.OpenClock(filepath.Join(dir, "meta", "clock"), now)
	if err != nil {
		t.Fatal(err)
	}
	local, err := table.NewLocal("n0", db, log)
	if err != nil {
		t.Fatal(err)
	}
	var blocks Blocks = bs
	if wrap != nil {
		blocks = wrap(bs)
	}
	m, err := Open(Config{BlockSize: blockSize, MinPartSize: 1}, local, singlePlacement{local}, blocks, refs, clock, &table.LocalLocker{}, log)
	if err != nil {
		t.Fatal(err)
	}
	return testEnv{m: m, db: db, local: local, blocks: bs, refs: refs, close: closeDB}
}
