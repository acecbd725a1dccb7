package admin

import (
	"cmp"
	"context"
	"net/http"
	"slices"
	"strings"
)

// POST /v2/CreateKey {"name","force"?}: the new key, with its secret.
func (s *Server) createKey(w http.ResponseWriter, r *http.Request) error {
	var req CreateKeyRequest
	if err := decodeBody(r, &req, true); err != nil {
		return err
	}
	k, err := s.backend.CreateKey(r.Context(), req.Name, req.Force)
	if err != nil {
		return err
	}
	k.normalize()
	writeJSON(w, http.StatusOK, k)
	return nil
}

// POST /v2/ImportKey {"accessKeyId","secretAccessKey","name","force"?}
func (s *Server) importKey(w http.ResponseWriter, r *http.Request) error {
	var req ImportKeyRequest
	if err := decodeBody(r, &req, false); err != nil {
		return err
	}
	if req.AccessKeyID == "" || req.SecretAccessKey == "" {
		return badRequest("accessKeyId and secretAccessKey are required")
	}
	k, err := s.backend.ImportKey(r.Context(), req.AccessKeyID, req.SecretAccessKey, req.Name, req.Force)
	if err != nil {
		return err
	}
	return s.writeKey(w, k, false)
}

// GET /v2/ListKeys: keys sorted by name, then id.
func (s *Server) listKeys(w http.ResponseWriter, r *http.Request) error {
	keys, err := s.backend.ListKeys(r.Context())
	if err != nil {
		return err
	}
	keys = slices.Clone(keys)
	slices.SortFunc(keys, func(a, b KeySummary) int {
		return cmp.Or(cmp.Compare(a.Name, b.Name), cmp.Compare(a.ID, b.ID))
	})
	if keys == nil {
		keys = []KeySummary{}
	}
	writeJSON(w, http.StatusOK, keys)
	return nil
}

// GET /v2/GetKeyInfo?id=ID|search=TEXT[&showSecretKey=true]
func (s *Server) getKeyInfo(w http.ResponseWriter, r *http.Request) error {
	showSecret, err := boolParam(r, "showSecretKey")
	if err != nil {
		return err
	}
	id, err := s.findKey(r)
	if err != nil {
		return err
	}
	k, err := s.backend.GetKey(r.Context(), id)
	if err != nil {
		return err
	}
	return s.writeKey(w, k, showSecret)
}

// POST /v2/UpdateKey?id=ID {"name"?, "allow"?, "deny"?, "force"?}: the
// updated key.
func (s *Server) updateKey(w http.ResponseWriter, r *http.Request) error {
	id, err := queryParam(r, "id")
	if err != nil {
		return err
	}
	var req UpdateKeyRequest
	if err := decodeBody(r, &req, false); err != nil {
		return err
	}
	if req.Allow != nil && req.Deny != nil && req.Allow.CreateBucket && req.Deny.CreateBucket {
		return badRequest("createBucket cannot be both allowed and denied")
	}
	ctx := r.Context()
	if _, err := s.backend.GetKey(ctx, id); err != nil {
		return err // before changing anything
	}
	if req.Name != nil {
		if err := s.backend.RenameKey(ctx, id, *req.Name, req.Force); err != nil {
			return err
		}
	}
	if req.Allow != nil && req.Allow.CreateBucket {
		if err := s.backend.SetKeyCreateBucket(ctx, id, true); err != nil {
			return err
		}
	}
	if req.Deny != nil && req.Deny.CreateBucket {
		if err := s.backend.SetKeyCreateBucket(ctx, id, false); err != nil {
			return err
		}
	}
	k, err := s.backend.GetKey(ctx, id)
	if err != nil {
		return err
	}
	return s.writeKey(w, k, false)
}

// POST /v2/DeleteKey?id=ID: 200 with no body.
func (s *Server) deleteKey(w http.ResponseWriter, r *http.Request) error {
	id, err := queryParam(r, "id")
	if err != nil {
		return err
	}
	if err := s.backend.DeleteKey(r.Context(), id); err != nil {
		return err
	}
	w.WriteHeader(http.StatusOK)
	return nil
}

func (s *Server) writeKey(w http.ResponseWriter, k KeyInfo, showSecret bool) error {
	if !showSecret {
		k.SecretAccessKey = ""
	}
	k.normalize()
	writeJSON(w, http.StatusOK, k)
	return nil
}

// findKey returns the id of the key named by ?id= or ?search=.
func (s *Server) findKey(r *http.Request) (string, error) {
	name, value, err := oneQueryParam(r, "id", "search")
	if err != nil || name == "id" {
		return value, err
	}
	return s.searchKey(r.Context(), value)
}

// searchKey resolves text to a key id: an exact id, else an exact name,
// else a unique id prefix.
func (s *Server) searchKey(ctx context.Context, text string) (string, error) {
	keys, err := s.backend.ListKeys(ctx)
	if err != nil {
		return "", err
	}
	var byName, byPrefix []string
	for _, k := range keys {
		switch {
		case k.ID == text:
			return k.ID, nil
		case k.Name == text:
			byName = append(byName, k.ID)
		case strings.HasPrefix(k.ID, text):
			byPrefix = append(byPrefix, k.ID)
		}
	}
	for _, found := range [][]string{byName, byPrefix} {
		switch len(found) {
		case 0:
			continue
		case 1:
			return found[0], nil
		default:
			slices.Sort(found)
			return "", badRequest("%q matches several keys (%s); use the key id", text, strings.Join(found, ", "))
		}
	}
	return "", newError(ErrNoSuchAccessKey, "key %q not found", text)
}
