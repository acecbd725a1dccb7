// Package diskspace tells whether the disks a node writes to are full,
// without a system call per question: a Monitor measures the free space of
// a few directories (statfs) every Interval, and is told at once when a
// write failed with ENOSPC or EDQUOT (WriteFailed), which triggers a new
// measurement.
//
// A directory is full while its free space is below a small threshold
// (1% of its file system, at most 100 MiB), or after a write to it failed
// for lack of space until space came back: its free space grew by a margin
// (1% of the file system, at least 1 MiB, at most 64 MiB) over what it was
// just after the failure, or Hold passed with free space above the
// threshold.
//
// Full is safe for concurrent use and cheap (an atomic load): health
// checks and request paths may call it as often as they like.
package diskspace
