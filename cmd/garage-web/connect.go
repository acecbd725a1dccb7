package main

import (
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/garage-web/garage-web/admin"
	"github.com/garage-web/garage-web/config"
)

// cli is what a command sees of the world.
type cli struct {
	opts           options
	getenv         func(string) (string, bool)
	stdout, stderr io.Writer
	adminURL       string // set by client, for error messages
}

// clientTimeout bounds one admin API call.
const clientTimeout = 30 * time.Second

// loadConfig reads the configuration the server and the CLI share: -c
// FILE, else $GARAGE_CONFIG, else ./garage-web.toml, else
// /etc/garage-web.toml, else the built-in default (config.Search), with
// GARAGE_* overrides.
func (c *cli) loadConfig() (*config.Config, error) {
	f, err := config.Search{Flag: c.opts.config, Env: c.getenv}.Find()
	if err != nil {
		return nil, err
	}
	return config.LoadFound(f, c.getenv)
}

// client returns an admin API client. The address and token come from
// --admin and --token, else from the configuration (for the token: the
// configured one, else the one the server stored under metadata_dir).
func (c *cli) client() (*admin.Client, error) {
	addr, token := c.opts.admin, c.opts.token
	if addr == "" || token == "" || c.opts.config != "" {
		cfg, err := c.loadConfig()
		if err != nil {
			return nil, err
		}
		if addr == "" {
			addr = cfg.Admin.APIBindAddr
		}
		if token == "" {
			token = cfg.AdminToken()
		}
		if token == "" {
			return nil, fmt.Errorf("no admin token: give --token, set GARAGE_ADMIN_ADMIN_TOKEN, "+
				"or run where the server stored %s", cfg.AdminTokenPath())
		}
	}
	base, err := adminURL(addr)
	if err != nil {
		return nil, err
	}
	c.adminURL = base
	return admin.NewClient(base, token, &http.Client{Timeout: clientTimeout}), nil
}

// adminURL turns a bind address into a URL to connect to: a wildcard host
// becomes the loopback address. A URL is kept as it is.
func adminURL(addr string) (string, error) {
	if strings.Contains(addr, "://") {
		u, err := url.Parse(addr)
		if err != nil || u.Host == "" {
			return "", fmt.Errorf("admin address %q is not host:port or a URL", addr)
		}
		return strings.TrimRight(addr, "/"), nil
	}
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return "", fmt.Errorf("admin address %q is not host:port or a URL", addr)
	}
	switch host {
	case "", "0.0.0.0":
		host = "127.0.0.1"
	case "::":
		host = "::1"
	}
	return "http://" + net.JoinHostPort(host, port), nil
}

// fail prints err as one line on stderr and returns the exit status.
func (c *cli) fail(err error) int {
	var u *usageError
	if errors.As(err, &u) {
		return reportParseError(err, c.stdout, c.stderr)
	}
	var urlErr *url.Error
	var apiErr *admin.APIError
	if errors.As(err, &urlErr) && !errors.As(err, &apiErr) {
		err = fmt.Errorf("cannot reach the admin API at %s (%v); is \"garage-web server\" running?", c.adminURL, urlErr.Err)
	}
	fmt.Fprintf(c.stderr, "garage-web: %s\n", strings.Join(strings.Fields(err.Error()), " "))
	return 1
}
