package main

import (
	"context"
	"flag"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
)

func setupServer(fs *flag.FlagSet) runFunc {
	logLevel := fs.String("log-level", "", "`LEVEL` of logs: debug, info, warn or error (default: $GARAGE_LOG_LEVEL, else info)")
	return func(ctx context.Context, c *cli, _ []string) error {
		if *logLevel == "" {
			*logLevel, _ = c.getenv("GARAGE_LOG_LEVEL")
		}
		var level slog.Level
		if *logLevel != "" {
			if err := level.UnmarshalText([]byte(*logLevel)); err != nil {
				return &usageError{msg: "server: --log-level " + *logLevel + ": not debug, info, warn or error", help: "garage-web help server"}
			}
		}
		hopts := &slog.HandlerOptions{Level: level}
		var logger *slog.Logger
		if c.opts.json {
			logger = slog.New(slog.NewJSONHandler(c.stderr, hopts))
		} else {
			logger = slog.New(slog.NewTextHandler(c.stderr, hopts))
		}

		cfg, err := c.loadConfig()
		if err != nil {
			return err
		}
		for _, w := range cfg.Warnings {
			logger.Warn(w)
		}
		if err := cfg.EnsureSecrets(); err != nil {
			return err
		}
		ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
		defer stop()
		return runServer(ctx, cfg, logger, serverHooks{build: buildNode})
	}
}
