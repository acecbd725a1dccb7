// Command delayproxyd runs internal/delayproxy proxies (TCP and UDP) in
// their own process, so the cluster tests can start them inside a network
// namespace with `ip netns exec` (a Go process's namespace is per OS
// thread, and the proxies dial upstream from goroutines of their own, so
// they cannot run inside the test binary).
//
// Usage:
//
//	delayproxyd -delay 25ms LISTEN=UPSTREAM [LISTEN=UPSTREAM ...]
//
// Each pair gets a proxy listening on LISTEN (TCP and UDP) that forwards to
// UPSTREAM with the one-way delay added in each direction. It prints
// "ready" on stdout once every proxy listens, and runs until SIGTERM or
// SIGINT (or SIGKILL).
package main

import (
	"flag"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/garage-web/garage-web/internal/delayproxy"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintf(os.Stderr, "delayproxyd: %v\n", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	fs := flag.NewFlagSet("delayproxyd", flag.ContinueOnError)
	delay := fs.Duration("delay", 0, "one-way delay added in each direction")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() == 0 {
		return fmt.Errorf("no LISTEN=UPSTREAM pairs given")
	}
	// Subscribe before listening, so a signal sent right after "ready" is
	// never lost.
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGTERM, syscall.SIGINT)

	var proxies []*delayproxy.Proxy
	closeAll := func() {
		for _, p := range proxies {
			p.Close()
		}
	}
	for _, pair := range fs.Args() {
		listen, upstream, ok := strings.Cut(pair, "=")
		if !ok || listen == "" || upstream == "" {
			closeAll()
			return fmt.Errorf("argument %q: want LISTEN=UPSTREAM", pair)
		}
		p, err := delayproxy.New(listen, listen, upstream, *delay, true)
		if err != nil {
			closeAll()
			return fmt.Errorf("proxy %s -> %s: %w", listen, upstream, err)
		}
		proxies = append(proxies, p)
	}
	fmt.Println("ready")
	<-sig
	closeAll()
	return nil
}
