package main

import (
	"errors"
	"fmt"

	"github.com/garage-web/garage-web/admin"
)

// Errors of the admin API are worded for the API (codes, field names).
// The bucket and key commands reword the common ones in the user's terms:
// one line, the name the user typed, the reason and the fix.

// bucketError rewords err of a command on the bucket the user called name.
func bucketError(err error, name string) error {
	var apiErr *admin.APIError
	if !errors.As(err, &apiErr) {
		return err
	}
	switch {
	case errors.Is(err, admin.ErrInvalidBucketName):
		return fmt.Errorf("invalid bucket name %s: use 3 to 63 lower-case letters, digits, dots and hyphens, starting and ending with a letter or digit", name)
	case errors.Is(err, admin.ErrBucketAlreadyExists):
		return fmt.Errorf("bucket %s exists already: pick another name ('garage-web bucket list' shows the names in use)", name)
	case errors.Is(err, admin.ErrNoSuchBucket):
		return fmt.Errorf("bucket %s not found: 'garage-web bucket list' shows the buckets", name)
	}
	return err
}

// bucketNotEmpty is the refusal of "bucket delete" on a bucket with
// objects.
func bucketNotEmpty(name string, objects int64) error {
	return fmt.Errorf("bucket %s is not empty (%s); delete them first or use --force ('garage-web bucket delete %s --force --yes' deletes them too)",
		name, plural(int(objects), "object", "objects"), name)
}

// keyError rewords err of a command on the key the user called ref.
func keyError(err error, ref string) error {
	var apiErr *admin.APIError
	if !errors.As(err, &apiErr) {
		return err
	}
	switch {
	case errors.Is(err, admin.ErrNoSuchAccessKey):
		return fmt.Errorf("key %s not found: 'garage-web key list' shows the keys", ref)
	case errors.Is(err, admin.ErrKeyAlreadyExists):
		return fmt.Errorf("key %s exists already: 'garage-web key info %s' shows it", ref, ref)
	}
	return err
}
