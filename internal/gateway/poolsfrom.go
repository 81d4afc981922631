package gateway

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/cognitojwt/cognitojwt"
	"github.com/cognitojwt/cognitojwt/jwks"
	"github.com/cognitojwt/cognitojwt/revocation"
)

// PoolsFromConfig trusts the pools of a directory, one file per pool, read
// when a token of the pool first arrives (multi-tenant: a new customer's
// pool is a new file, no reload needed). It is cognitojwt.NewResolving
// over files: a token whose "iss" names a pool with no file is refused
// before any key is fetched.
type PoolsFromConfig struct {
	// Dir holds one "<user pool id>.yaml" per pool, each a mapping of the
	// keys of a pools: entry (user_pool_id may be left out; when given it
	// must be the file's name). Names starting with "." are skipped
	// (Kubernetes ConfigMap volumes keep their bookkeeping there); any
	// other name is a configuration error. Required.
	Dir string `yaml:"dir"`
	// Refresh is how long a pool's file is trusted before it is read
	// again, so that an edited file applies without a reload. Default 1m.
	Refresh Duration `yaml:"refresh"`
	// UnknownTTL is how long a pool without a file is refused before the
	// directory is looked at again. Default 10s.
	UnknownTTL Duration `yaml:"unknown_ttl"`
	// MaxPools bounds the pools kept live with their keys; the least
	// recently used one is dropped beyond it. Default 1000.
	MaxPools int `yaml:"max_pools"`
	// IssuerPrefixes are issuer bases other than AWS's that may name a
	// pool (emulators): see cognitojwt.ResolverConfig.IssuerPrefixes.
	IssuerPrefixes []string `yaml:"issuer_prefixes"`
}

// poolFileName is "<region>_<id>.yaml", the only name a pool file may have:
// the pool id comes from an unverified token, and this shape keeps it
// from naming anything but a file of the directory.
var poolFileName = regexp.MustCompile(`^([a-z]{2}(?:-[a-z]+)+-\d_[0-9A-Za-z]+)\.yaml$`)

// validatePoolsFrom checks the block and every pool file now, so that
// --check and a reload refuse a bad file instead of a tenant's requests
// getting 503 later.
func (c *Config) validatePoolsFrom(ck *checker) {
	pf := c.PoolsFrom
	if pf == nil {
		return
	}
	if pf.Dir == "" {
		ck.fail(at("pools_from", "dir"), "required: the directory of <user pool id>.yaml files")
		return
	}
	if pf.MaxPools < 0 {
		ck.fail(at("pools_from", "max_pools"), "cannot be negative")
	}
	for i, p := range pf.IssuerPrefixes {
		if !strings.HasSuffix(p, "/") {
			ck.fail(at("pools_from", "issuer_prefixes", i), "%q must end with /", p)
		}
	}
	if _, err := cognitojwt.NewResolving(pf.resolverConfig(nil)); err != nil {
		ck.fail(at("pools_from"), "%s", libraryMessage(err))
	}
	entries, err := os.ReadDir(pf.Dir)
	if err != nil {
		ck.fail(at("pools_from", "dir"), "%s", fsMessage(err))
		return
	}
	for _, e := range entries {
		name := e.Name()
		if strings.HasPrefix(name, ".") {
			continue
		}
		m := poolFileName.FindStringSubmatch(name)
		if m == nil {
			ck.fail(at("pools_from", "dir"), "%s: want only <user pool id>.yaml files, such as us-east-1_AbCdEfGhI.yaml", name)
			continue
		}
		if _, err := loadPoolFile(pf.Dir, m[1]); err != nil {
			ck.fail(at("pools_from", "dir"), "%s", err)
		}
	}
}

// loadPoolFile reads and validates the file of pool id.
func loadPoolFile(dir, id string) (*PoolConfig, error) {
	name := id + ".yaml"
	if !poolFileName.MatchString(name) {
		return nil, fmt.Errorf("%q is not a user pool id", id)
	}
	data, err := os.ReadFile(filepath.Join(dir, name))
	if err != nil {
		return nil, err
	}
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		return nil, fmt.Errorf("%s: %s", name, yamlMessage(err))
	}
	if len(root.Content) == 0 || root.Content[0].Kind != yaml.MappingNode {
		return nil, fmt.Errorf("%s: want a mapping of the keys of a pools: entry (client_ids:, token_use:, …)", name)
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	var p PoolConfig
	if err := dec.Decode(&p); err != nil {
		return nil, fmt.Errorf("%s: %s", name, yamlMessage(err))
	}
	ck := &checker{root: root.Content[0]}
	switch p.UserPoolID {
	case "":
		p.UserPoolID = id
	case id:
	default:
		ck.fail(at("user_pool_id"), "%q in the file of pool %s", p.UserPoolID, id)
	}
	checkPool(ck, nil, &p)
	if len(ck.errs) > 0 {
		msgs := make([]string, len(ck.errs))
		for i, e := range ck.errs {
			msgs[i] = e.Error()
		}
		return nil, fmt.Errorf("%s: %s", name, strings.Join(msgs, "; "))
	}
	return &p, nil
}

// resolverConfig is the cognitojwt resolver over the directory; resolve
// is nil for validation only.
func (pf *PoolsFromConfig) resolverConfig(resolve cognitojwt.PoolResolver) cognitojwt.ResolverConfig {
	if resolve == nil {
		resolve = func(context.Context, string) ([]cognitojwt.Config, error) { return nil, cognitojwt.ErrUnknownPool }
	}
	return cognitojwt.ResolverConfig{
		Resolve:        resolve,
		IssuerPrefixes: pf.IssuerPrefixes,
		MaxPools:       pf.MaxPools,
		UnknownTTL:     pf.UnknownTTL.D(10 * time.Second),
		ConfigTTL:      pf.Refresh.D(time.Minute),
	}
}

// newPoolsFrom builds the resolving verifier of cfg.PoolsFrom: a pool's
// file becomes its Config, with the gateway-wide settings (key events,
// revocation, cache size) that pools: entries get too. A file that became
// invalid since the configuration was loaded is refused like a bad
// reload: a live pool keeps the rules it had, a pool not yet live gets
// 503 (an outage of its configuration, never a pass); both are logged.
func newPoolsFrom(cfg *Config, onEvent func(jwks.Event), rev revocation.Checker, log *slog.Logger) (*cognitojwt.Verifier, error) {
	pf := cfg.PoolsFrom
	return cognitojwt.NewResolving(pf.resolverConfig(func(_ context.Context, id string) ([]cognitojwt.Config, error) {
		p, err := loadPoolFile(pf.Dir, id)
		if errors.Is(err, fs.ErrNotExist) {
			return nil, cognitojwt.ErrUnknownPool
		}
		if err != nil {
			log.Warn("pool file refused: the pool keeps the rules it had, or gets 503 until the file is fixed", "pool", id, "error", err)
			return nil, err
		}
		c := p.cognito()
		c.KeyOptions.OnEvent = onEvent
		c.Revocation = rev
		c.CacheSize = cfg.CacheSize
		return []cognitojwt.Config{c}, nil
	}))
}

// fsMessage is a file-system error without the Go operation prefix.
func fsMessage(err error) string {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Path + ": " + pe.Err.Error()
	}
	return err.Error()
}
