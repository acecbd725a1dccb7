package node

import "testing"

func TestWritesInFlightDrain(t *testing.T) {
	w := newWritesInFlight()
	endOld := w.begin(1)
	endOld2 := w.begin(1)
	endNew := w.begin(2)
	if n := w.olderThan(2); n != 2 {
		t.Fatalf("writes older than version 2: %d, want 2", n)
	}
	endOld()
	endOld() // a second call is a no-op
	if n := w.olderThan(2); n != 1 {
		t.Fatalf("after one ended: %d, want 1", n)
	}
	select {
	case <-w.drained:
		t.Fatal("drained signalled while a version-1 write is in flight")
	default:
	}
	endOld2()
	select {
	case <-w.drained:
	default:
		t.Fatal("no drained signal once the last version-1 write ended")
	}
	if n := w.olderThan(2); n != 0 {
		t.Fatalf("after both ended: %d", n)
	}
	if n := w.olderThan(3); n != 1 {
		t.Fatalf("version-2 write not counted before version 3: %d", n)
	}
	endNew()
}
