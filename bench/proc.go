package bench

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"
)

// clockTicks is USER_HZ, the unit of utime/stime in /proc/PID/stat. It is
// 100 on every Linux architecture Go supports.
const clockTicks = 100

// ProcStatus is what /proc/PID/status says about a process's memory, in bytes.
type ProcStatus struct {
	RSS  int64 // VmRSS: resident now
	Anon int64 // RssAnon: the part of RSS that is heap/stack, not mapped files
	HWM  int64 // VmHWM: peak resident since the process started
}

// ReadProcStatus reads VmRSS and VmHWM of pid.
func ReadProcStatus(pid int) (ProcStatus, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return ProcStatus{}, err
	}
	var st ProcStatus
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, "VmRSS:"):
			st.RSS = parseKB(line)
		case strings.HasPrefix(line, "VmHWM:"):
			st.HWM = parseKB(line)
		case strings.HasPrefix(line, "RssAnon:"):
			st.Anon = parseKB(line)
		}
	}
	return st, nil
}

// parseKB parses "VmRSS:	  12345 kB" into bytes.
func parseKB(line string) int64 {
	f := strings.Fields(line)
	if len(f) < 2 {
		return 0
	}
	v, _ := strconv.ParseInt(f[1], 10, 64)
	return v << 10
}

// ReadProcCPU is the user+system CPU time pid has used so far.
func ReadProcCPU(pid int) (time.Duration, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	// The command name (field 2) may hold spaces: fields are counted after
	// its closing parenthesis, where field 3 (state) comes first.
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return 0, fmt.Errorf("/proc/%d/stat: malformed", pid)
	}
	f := strings.Fields(string(b[i+1:]))
	if len(f) < 13 {
		return 0, fmt.Errorf("/proc/%d/stat: malformed", pid)
	}
	ut, _ := strconv.ParseInt(f[11], 10, 64) // field 14
	st, _ := strconv.ParseInt(f[12], 10, 64) // field 15
	return time.Duration(ut+st) * time.Second / clockTicks, nil
}

// Sampler samples the summed RSS of a set of processes in the background
// and keeps the peak of the current window. Safe for concurrent use.
type Sampler struct {
	pids     []int
	interval time.Duration

	mu       sync.Mutex
	peak     int64
	peakAnon int64
	stop     chan struct{}
	done     chan struct{}
}

// NewSampler starts sampling pids every interval. With no pids it samples
// nothing and every figure is 0. Call Close when done.
func NewSampler(pids []int, interval time.Duration) *Sampler {
	s := &Sampler{pids: pids, interval: interval, stop: make(chan struct{}), done: make(chan struct{})}
	go s.loop()
	return s
}

func (s *Sampler) loop() {
	defer close(s.done)
	if len(s.pids) == 0 {
		<-s.stop
		return
	}
	t := time.NewTicker(s.interval)
	defer t.Stop()
	for {
		s.sample()
		select {
		case <-s.stop:
			return
		case <-t.C:
		}
	}
}

func (s *Sampler) sample() {
	st := s.Status()
	s.mu.Lock()
	s.peak = max(s.peak, st.RSS)
	s.peakAnon = max(s.peakAnon, st.Anon)
	s.mu.Unlock()
}

// Status is the summed memory status of the processes now.
func (s *Sampler) Status() ProcStatus {
	var sum ProcStatus
	for _, pid := range s.pids {
		if st, err := ReadProcStatus(pid); err == nil {
			sum.RSS += st.RSS
			sum.Anon += st.Anon
			sum.HWM += st.HWM
		}
	}
	return sum
}

// RSS is the summed VmRSS of the processes now.
func (s *Sampler) RSS() int64 { return s.Status().RSS }

// HWM is the summed VmHWM (lifetime peak) of the processes.
func (s *Sampler) HWM() int64 { return s.Status().HWM }

// CPU is the summed CPU time the processes have used so far.
func (s *Sampler) CPU() time.Duration {
	var sum time.Duration
	for _, pid := range s.pids {
		if c, err := ReadProcCPU(pid); err == nil {
			sum += c
		}
	}
	return sum
}

// Window starts a new measurement window: the peaks are reset to the
// current values. The returned function ends it and gives the window's
// peak RSS and the CPU used during it.
func (s *Sampler) Window() (end func() (peakRSS int64, cpu time.Duration)) {
	cpu0 := s.CPU()
	now := s.Status()
	s.mu.Lock()
	s.peak, s.peakAnon = now.RSS, now.Anon
	s.mu.Unlock()
	return func() (int64, time.Duration) {
		s.sample()
		s.mu.Lock()
		p := s.peak
		s.mu.Unlock()
		return p, s.CPU() - cpu0
	}
}

// PeakAnon is the peak RssAnon of the current window.
func (s *Sampler) PeakAnon() int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.peakAnon
}

// Close stops sampling.
func (s *Sampler) Close() {
	close(s.stop)
	<-s.done
}
