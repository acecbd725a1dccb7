package main

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/garage-web/garage-web/admin"
)

// Key names are how people refer to keys, so they are kept unique: the
// node refuses a name another key has on "key create", "key rename" and
// "key import" (409 KeyNameInUse, decided on the node so that two CLIs
// racing cannot both win) unless --force, and the CLI turns the refusal
// into a message naming the keys that have it. A command given a name that
// several keys share says so and lists their ids instead of failing on an
// opaque lookup.

// keysNamed returns the keys whose name is name.
func keysNamed(ctx context.Context, cl *admin.Client, name string) ([]admin.KeySummary, error) {
	keys, err := cl.ListKeys(ctx)
	if err != nil {
		return nil, err
	}
	var out []admin.KeySummary
	for _, k := range keys {
		if k.Name == name {
			out = append(out, k)
		}
	}
	return out, nil
}

// nameInUse explains the node's refusal (KeyNameInUse) of name to the
// command verb ("key create"); other errors are returned unchanged.
func nameInUse(ctx context.Context, cl *admin.Client, verb, name string, refusal error) error {
	if !errors.Is(refusal, admin.ErrKeyNameInUse) {
		return refusal
	}
	same, err := keysNamed(ctx, cl, name)
	if err != nil {
		return refusal
	}
	switch len(same) {
	case 0: // deleted since
		return &usageError{
			msg:  fmt.Sprintf("%s: %v; pick another name, or add --force", verb, refusal),
			help: "garage-web help " + verb,
		}
	case 1:
		return &usageError{
			msg:  fmt.Sprintf("%s: a key named %s exists already (%s); pick another name, or add --force to have two keys named %s", verb, name, same[0].ID, name),
			help: "garage-web help " + verb,
		}
	}
	return &usageError{
		msg:  fmt.Sprintf("%s: %d keys are named %s already (%s); pick another name, or add --force", verb, len(same), name, keyIDs(same)),
		help: "garage-web help " + verb,
	}
}

// ambiguousKeyError is returned when KEY names several keys.
type ambiguousKeyError struct {
	name string
	ids  string
	n    int
}

func (e *ambiguousKeyError) Error() string {
	return fmt.Sprintf("%d keys are named %s (%s): give the key id instead, or rename one with 'garage-web key rename ID NEWNAME'", e.n, e.name, e.ids)
}

// explainKeyLookup turns a failed lookup of ref into an error that says
// when ref is a name several keys share.
func explainKeyLookup(ctx context.Context, cl *admin.Client, ref string, lookupErr error) error {
	same, err := keysNamed(ctx, cl, ref)
	if err != nil || len(same) < 2 {
		return lookupErr
	}
	return &ambiguousKeyError{name: ref, ids: keyIDs(same), n: len(same)}
}

func keyIDs(keys []admin.KeySummary) string {
	ids := make([]string, len(keys))
	for i, k := range keys {
		ids[i] = k.ID
	}
	return strings.Join(ids, ", ")
}
