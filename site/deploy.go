package site

import (
	"context"
	"crypto/md5"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"mime"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"strings"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/garage-web/garage-web/site/rules"
)

// File is one file of a directory being deployed.
type File struct {
	Key  string // object key: the slash-separated path below the directory
	Path string // local path
	Size int64
	MD5  string // hex: the ETag of a single-part object with this content
}

// Progress hears about a deploy. Its methods are called from one
// goroutine at a time.
type Progress interface {
	// Start: total files to send, of which upload must be uploaded (the
	// others are copied from the live deploy).
	Start(total, upload int)
	// Sent: one file is in the new deploy.
	Sent(f File, uploaded bool)
}

// DeployOptions describe one deploy.
type DeployOptions struct {
	Dir     string
	Site    string
	Message string
	// NoPublish leaves the deploy unpublished (a preview only).
	NoPublish bool
	// Parallel is the number of files sent at once (default 8).
	Parallel int
	Progress Progress // may be nil
}

// DeployResult is what a deploy did.
type DeployResult struct {
	ID       string `json:"id"`
	Live     bool   `json:"live"`
	Files    int    `json:"files"`
	Uploaded int    `json:"uploaded"`
	// Preview is the global name of the deploy's bucket, the first label
	// of its preview host.
	Preview string `json:"-"`
	// RuleErrors are the malformed lines of _redirects and _headers (they
	// are ignored by the web endpoint).
	RuleErrors []rules.LineError `json:"-"`
}

// ScanDir lists the files of dir to deploy: every regular file (symbolic
// links followed) except those under a ".git" directory.
func ScanDir(dir string) ([]File, error) {
	var out []File
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if d.Name() == ".git" && p != dir {
				return filepath.SkipDir
			}
			return nil
		}
		st, err := os.Stat(p)
		if err != nil {
			return err
		}
		if !st.Mode().IsRegular() {
			return nil
		}
		rel, err := filepath.Rel(dir, p)
		if err != nil {
			return err
		}
		sum, err := md5File(p)
		if err != nil {
			return err
		}
		out = append(out, File{Key: filepath.ToSlash(rel), Path: p, Size: st.Size(), MD5: sum})
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("scan %s: %w", dir, err)
	}
	return out, nil
}

func md5File(p string) (string, error) {
	f, err := os.Open(p)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := md5.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// CheckRules parses the _redirects and _headers files among files and
// returns their malformed lines.
func CheckRules(files []File) ([]rules.LineError, error) {
	var out []rules.LineError
	for _, f := range files {
		if f.Key != "_redirects" && f.Key != "_headers" {
			continue
		}
		data, err := os.ReadFile(f.Path)
		if err != nil {
			return nil, err
		}
		var errs []rules.LineError
		if f.Key == "_redirects" {
			_, errs = rules.ParseRedirects(data)
		} else {
			_, errs = rules.ParseHeaders(data)
		}
		out = append(out, errs...)
	}
	return out, nil
}

// Deploy deploys opts.Dir to opts.Site: it starts a deploy, copies the
// files whose content the live deploy has (same key, size and MD5) and
// uploads the others, then finishes the deploy and, unless
// opts.NoPublish, makes it live. If anything fails or ctx ends before the
// finish, the live site is unchanged; the unfinished deploy is collected
// by the site's retention.
func (c *Client) Deploy(ctx context.Context, opts DeployOptions) (DeployResult, error) {
	files, err := ScanDir(opts.Dir)
	if err != nil {
		return DeployResult{}, err
	}
	res := DeployResult{Files: len(files)}
	if res.RuleErrors, err = CheckRules(files); err != nil {
		return res, err
	}
	start, err := c.call(ctx, opts.Site, "create", wireRequest{Message: opts.Message})
	if err != nil {
		return res, fmt.Errorf("start deploy: %w", err)
	}
	if start.Deploy == nil {
		return res, errors.New("start deploy: the node answered no deploy")
	}
	res.ID, res.Preview = start.Deploy.ID, start.Bucket
	have := map[string]string{}
	if start.Base != "" {
		if have, err = c.etags(ctx, start.Base); err != nil {
			return res, err
		}
	}
	upload := 0
	for _, f := range files {
		if have[f.Key] != f.MD5+"/"+fmt.Sprint(f.Size) {
			upload++
		}
	}
	if opts.Progress != nil {
		opts.Progress.Start(len(files), upload)
	}
	if res.Uploaded, err = c.send(ctx, opts, start, files, have); err != nil {
		return res, err
	}
	fin, err := c.call(ctx, opts.Site, "finish", wireRequest{ID: res.ID, Publish: !opts.NoPublish})
	if err != nil {
		return res, fmt.Errorf("finish deploy %s: %w", res.ID, err)
	}
	res.Live = fin.Live == res.ID
	return res, nil
}

// etags lists bucket: key -> "md5/size" for single-part objects.
func (c *Client) etags(ctx context.Context, bucket string) (map[string]string, error) {
	out := map[string]string{}
	p := s3.NewListObjectsV2Paginator(c.s3, &s3.ListObjectsV2Input{Bucket: aws.String(bucket)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("list the live deploy %s: %w", bucket, err)
		}
		for _, o := range page.Contents {
			out[aws.ToString(o.Key)] = strings.Trim(aws.ToString(o.ETag), `"`) + "/" + fmt.Sprint(aws.ToInt64(o.Size))
		}
	}
	return out, nil
}

type sent struct {
	f        File
	uploaded bool
	err      error
}

// send puts every file into the deploy's bucket with opts.Parallel
// workers and returns the number uploaded (not copied).
func (c *Client) send(ctx context.Context, opts DeployOptions, start Info, files []File, have map[string]string) (int, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	n := opts.Parallel
	if n <= 0 {
		n = 8
	}
	work := make(chan File)
	results := make(chan sent)
	var wg sync.WaitGroup
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for f := range work {
				up, err := c.sendFile(ctx, start, f, have[f.Key] == f.MD5+"/"+fmt.Sprint(f.Size))
				select {
				case results <- sent{f, up, err}:
				case <-ctx.Done():
					return
				}
			}
		}()
	}
	go func() {
		defer close(work)
		for _, f := range files {
			select {
			case work <- f:
			case <-ctx.Done():
				return
			}
		}
	}()
	go func() { wg.Wait(); close(results) }()
	uploaded := 0
	var firstErr error
	for r := range results {
		if r.err != nil {
			if firstErr == nil {
				firstErr = fmt.Errorf("%s: %w", r.f.Key, r.err)
				cancel()
			}
			continue
		}
		if r.uploaded {
			uploaded++
		}
		if opts.Progress != nil && firstErr == nil {
			opts.Progress.Sent(r.f, r.uploaded)
		}
	}
	if firstErr == nil && ctx.Err() != nil {
		firstErr = ctx.Err()
	}
	return uploaded, firstErr
}

// sendFile copies f from the live deploy when it has it, else uploads it.
func (c *Client) sendFile(ctx context.Context, start Info, f File, same bool) (uploaded bool, err error) {
	if same {
		_, err := c.s3.CopyObject(ctx, &s3.CopyObjectInput{
			Bucket: aws.String(start.Bucket), Key: aws.String(f.Key),
			CopySource: aws.String(escapePath(start.Base + "/" + f.Key)),
		})
		if err == nil {
			return false, nil
		}
		// The file may have gone from the base since it was listed: send it.
	}
	body, err := os.Open(f.Path)
	if err != nil {
		return false, err
	}
	defer body.Close()
	in := &s3.PutObjectInput{Bucket: aws.String(start.Bucket), Key: aws.String(f.Key), Body: body, ContentLength: aws.Int64(f.Size)}
	if t := mime.TypeByExtension(path.Ext(f.Key)); t != "" {
		in.ContentType = aws.String(t)
	}
	if _, err := c.s3.PutObject(ctx, in); err != nil {
		return false, err
	}
	return true, nil
}

// escapePath URL-escapes each segment of a slash-separated path.
func escapePath(p string) string {
	segs := strings.Split(p, "/")
	for i, s := range segs {
		segs[i] = url.PathEscape(s)
	}
	return strings.Join(segs, "/")
}
