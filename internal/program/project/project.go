// Package project reads Pulumi.yaml and Pulumi.<stack>.yaml the way the Pulumi engine hands configuration to a
// program: project defaults, overridden by the stack's values, type-checked against Pulumi.yaml's schema. It lets
// cmd/render, cmd/savings and the tests run the stack's real configuration without the Pulumi CLI.
package project

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/common/diag"
	"github.com/pulumi/pulumi/sdk/v3/go/common/diag/colors"
	pulumiconfig "github.com/pulumi/pulumi/sdk/v3/go/common/resource/config"
	"github.com/pulumi/pulumi/sdk/v3/go/common/workspace"

	"github.com/karpenter-savings/karpenter-savings/internal/program/config"
)

// Config is a stack's merged configuration, as config.Load reads it.
type Config = config.Values

// Load merges dir/Pulumi.yaml's config defaults with dir/Pulumi.<stack>.yaml, as `pulumi preview` would.
func Load(dir, stack string) (Config, error) {
	proj, err := workspace.LoadProject(filepath.Join(dir, "Pulumi.yaml"))
	if err != nil {
		return nil, fmt.Errorf("reading Pulumi.yaml: %w", err)
	}
	stackPath := filepath.Join(dir, "Pulumi."+stack+".yaml")
	if _, err := os.Stat(stackPath); err != nil {
		return nil, fmt.Errorf("stack %q: %w", stack, err)
	}
	sink := diag.DefaultSink(os.Stderr, os.Stderr, diag.FormatOptions{Color: colors.Never})
	ps, err := workspace.LoadProjectStack(sink, proj, stackPath)
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", filepath.Base(stackPath), err)
	}
	values, err := ps.Config.Decrypt(pulumiconfig.NopDecrypter)
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", filepath.Base(stackPath), err)
	}

	out := Config{}
	var errs []error
	for key, value := range values {
		out[key.String()] = value
	}
	name := proj.Name.String()
	for key, decl := range proj.Config {
		full := key
		if !strings.Contains(key, ":") {
			full = name + ":" + key
		}
		if v, ok := out[full]; ok {
			if err := checkType(full, decl, v); err != nil {
				errs = append(errs, err)
			}
			continue
		}
		if decl.Default == nil {
			continue
		}
		s, err := encode(decl.Default)
		if err != nil {
			errs = append(errs, fmt.Errorf("default of %s in Pulumi.yaml: %w", full, err))
			continue
		}
		out[full] = s
	}
	for full := range out {
		short, isProject := strings.CutPrefix(full, name+":")
		if _, declared := proj.Config[short]; isProject && !declared {
			errs = append(errs, fmt.Errorf("%s: %s sets a key Pulumi.yaml does not declare (known keys: %s)", full, filepath.Base(stackPath), strings.Join(declaredKeys(proj), ", ")))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return out, nil
}

// checkType rejects a stack value whose type differs from Pulumi.yaml's declaration, as the engine does.
func checkType(key string, decl workspace.ProjectConfigType, raw string) error {
	if decl.Type == nil {
		return nil
	}
	var value any = raw
	switch *decl.Type {
	case "integer", "boolean", "array", "object":
		if err := json.Unmarshal([]byte(raw), &value); err != nil {
			return fmt.Errorf("%s: %q is not of type %s", key, raw, *decl.Type)
		}
		if f, ok := value.(float64); ok && *decl.Type == "integer" && f == float64(int64(f)) {
			value = int(f)
		}
	}
	if !workspace.ValidateConfigValue(*decl.Type, decl.Items, value) {
		return fmt.Errorf("%s: %q is not of type %s", key, raw, *decl.Type)
	}
	return nil
}

func encode(v any) (string, error) {
	if s, ok := v.(string); ok {
		return s, nil
	}
	b, err := json.Marshal(normalize(v))
	if err != nil {
		return "", err
	}
	return string(b), nil
}

// normalize turns YAML's map[any]any (if any) into JSON-encodable maps.
func normalize(v any) any {
	switch t := v.(type) {
	case map[any]any:
		m := map[string]any{}
		for k, val := range t {
			m[fmt.Sprint(k)] = normalize(val)
		}
		return m
	case map[string]any:
		m := map[string]any{}
		for k, val := range t {
			m[k] = normalize(val)
		}
		return m
	case []any:
		out := make([]any, len(t))
		for i, val := range t {
			out[i] = normalize(val)
		}
		return out
	default:
		return v
	}
}

func declaredKeys(p *workspace.Project) []string {
	keys := make([]string, 0, len(p.Config))
	for k := range p.Config {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// LoadConfig loads a stack's values (Load) and parses and validates them (config.Load): what the Pulumi program
// would see, for the tools that run without it.
func LoadConfig(dir, stack string) (*config.Config, Config, error) {
	values, err := Load(dir, stack)
	if err != nil {
		return nil, nil, err
	}
	cfg, err := config.Load(values.Lookup)
	if err != nil {
		return nil, nil, fmt.Errorf("invalid configuration of stack %s:\n%w", stack, err)
	}
	return cfg, values, nil
}

// Defaults are the config defaults dir/Pulumi.yaml declares, keyed as Load keys them.
func Defaults(dir string) (Config, error) {
	proj, err := workspace.LoadProject(filepath.Join(dir, "Pulumi.yaml"))
	if err != nil {
		return nil, fmt.Errorf("reading Pulumi.yaml: %w", err)
	}
	out := Config{}
	for key, decl := range proj.Config {
		if decl.Default == nil {
			continue
		}
		full := key
		if !strings.Contains(key, ":") {
			full = proj.Name.String() + ":" + key
		}
		s, err := encode(decl.Default)
		if err != nil {
			return nil, fmt.Errorf("default of %s in Pulumi.yaml: %w", full, err)
		}
		out[full] = s
	}
	return out, nil
}
