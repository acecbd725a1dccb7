package config

import (
	"fmt"
	"reflect"
	"strconv"
	"strings"
)

// envAliases are Garage's names for some variables, accepted when the
// garage-web name is not set.
var envAliases = map[string]string{
	"GARAGE_ADMIN_ADMIN_TOKEN":        "GARAGE_ADMIN_TOKEN",
	"GARAGE_ADMIN_ADMIN_TOKEN_FILE":   "GARAGE_ADMIN_TOKEN_FILE",
	"GARAGE_ADMIN_METRICS_TOKEN":      "GARAGE_METRICS_TOKEN",
	"GARAGE_ADMIN_METRICS_TOKEN_FILE": "GARAGE_METRICS_TOKEN_FILE",
}

// EnvName is the variable that overrides the setting at a TOML path:
// EnvName("s3_api.api_bind_addr") == "GARAGE_S3_API_API_BIND_ADDR".
func EnvName(path string) string {
	return "GARAGE_" + strings.ToUpper(strings.ReplaceAll(path, ".", "_"))
}

// applyEnv overrides every setting whose GARAGE_* variable is set. A
// secret given in the environment replaces both the secret and its file
// from the configuration file, whichever of the two the variable names.
func (c *Config) applyEnv(env func(string) (string, bool)) error {
	set := make(map[string]string) // TOML path -> variable that set it
	if err := applyEnvStruct(reflect.ValueOf(c).Elem(), "", env, set); err != nil {
		return err
	}
	for _, p := range c.secretPairs() {
		byValue, valueSet := set[p.name]
		byFile, fileSet := set[p.name+"_file"]
		switch {
		case valueSet && fileSet:
			return errorf(byValue, "set together with %s; use one", byFile)
		case valueSet:
			*p.file = ""
		case fileSet:
			*p.value = ""
		}
	}
	return nil
}

type setter interface{ Set(string) error }

func applyEnvStruct(v reflect.Value, prefix string, env func(string) (string, bool), set map[string]string) error {
	t := v.Type()
	for i := range t.NumField() {
		f := t.Field(i)
		tag := f.Tag.Get("toml")
		if tag == "" || tag == "-" {
			continue
		}
		path := prefix + tag
		fv := v.Field(i)
		if f.Type.Kind() == reflect.Struct {
			if err := applyEnvStruct(fv, path+".", env, set); err != nil {
				return err
			}
			continue
		}
		name := EnvName(path)
		s, ok := env(name)
		if !ok {
			if alias, has := envAliases[name]; has {
				if s, ok = env(alias); ok {
					name = alias
				}
			}
		}
		if !ok {
			continue
		}
		if err := setFromString(fv, s); err != nil {
			return errorf(name, "%s", err)
		}
		set[path] = name
	}
	return nil
}

func setFromString(v reflect.Value, s string) error {
	if st, ok := v.Addr().Interface().(setter); ok {
		return st.Set(s)
	}
	switch v.Kind() {
	case reflect.String:
		v.SetString(s)
	case reflect.Int:
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil {
			return fmt.Errorf("%q is not an integer", s)
		}
		v.SetInt(int64(n))
	case reflect.Slice: // []string, comma-separated
		var items []string
		for item := range strings.SplitSeq(s, ",") {
			if item = strings.TrimSpace(item); item != "" {
				items = append(items, item)
			}
		}
		v.Set(reflect.ValueOf(items))
	default:
		panic(fmt.Sprintf("config: no environment parser for %s", v.Type())) // a programming error
	}
	return nil
}
