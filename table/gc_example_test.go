package table_test

import (
	"context"
	"encoding/json"
	"fmt"
	"log"
	"log/slog"
	"os"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/garage-web/garage-web/cluster"
	"github.com/garage-web/garage-web/storage"
	"github.com/garage-web/garage-web/table"
)

// file is an example entry: a deleted file is a tombstone.
type file struct {
	Name    string `json:"name"`
	Deleted bool   `json:"deleted"`
}

func (f file) PartitionKey() []byte { return []byte("files") }
func (f file) SortKey() []byte      { return []byte(f.Name) }
func (f file) IsTombstone() bool    { return f.Deleted }
func (f file) Merge(o file) file    { f.Deleted = f.Deleted || o.Deleted; return f }

// encodeFile stores a file as a format byte and its JSON.
func encodeFile(f file) ([]byte, error) {
	b, err := json.Marshal(f)
	return append([]byte{1}, b...), err
}

func decodeFile(b []byte) (file, error) {
	var f file
	if len(b) == 0 || b[0] != 1 {
		return f, fmt.Errorf("unknown file format")
	}
	err := json.Unmarshal(b[1:], &f)
	return f, err
}

// ExampleNewGC collects a tombstone on a one-node cluster: the node is the
// only holder of every partition.
func ExampleNewGC() {
	dir, _ := os.MkdirTemp("", "gc-example")
	defer os.RemoveAll(dir)
	db, err := storage.OpenDB(dir)
	if err != nil {
		log.Fatal(err)
	}
	defer db.Close()
	logger := slog.New(slog.DiscardHandler)
	local, _ := table.NewLocal("n0", db, logger)
	files, _ := table.New(table.Schema[file]{Name: "files", Encode: encodeFile, Decode: decodeFile}, local, table.Single{Local: local}, table.Options[file]{})

	var self cluster.NodeID
	gc, err := table.NewGC(table.GCConfig{
		Self: self, Local: local, Delay: time.Hour,
		Holders:    func(uint8) []cluster.NodeID { return []cluster.NodeID{self} },
		Registerer: prometheus.NewRegistry(),
	})
	if err != nil {
		log.Fatal(err)
	}
	ctx := context.Background()
	_ = files.Insert(ctx, file{Name: "a"})
	_ = files.Insert(ctx, file{Name: "a", Deleted: true})

	st, _ := gc.CollectNow(ctx, time.Now()) // too early: the delay has not passed
	fmt.Println("now:", st.Collected, "collected,", st.Pending, "pending")
	st, _ = gc.CollectNow(ctx, time.Now().Add(2*time.Hour))
	fmt.Println("later:", st.Collected, "collected,", st.Pending, "pending")
	_, found, _ := files.Get(ctx, []byte("files"), []byte("a"))
	fmt.Println("stored:", found)
	// Output:
	// now: 0 collected, 1 pending
	// later: 1 collected, 0 pending
	// stored: false
}
