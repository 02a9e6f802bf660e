// Package tests runs the stack's one Pulumi program (internal/program/stack.Program) under Pulumi mocks with the dev
// stack's configuration and asserts, as data, what it declares.
package tests

import (
	"encoding/json"
	"maps"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/karpenter-savings/karpenter-savings/internal/offline/mocks"
	"github.com/karpenter-savings/karpenter-savings/internal/offline/mocks/yamlv2"
	"github.com/karpenter-savings/karpenter-savings/internal/program/config"
	"github.com/karpenter-savings/karpenter-savings/internal/program/project"
	"github.com/karpenter-savings/karpenter-savings/internal/program/stack"
)

// devConfig is the dev stack's merged configuration (Pulumi.yaml defaults + Pulumi.dev.yaml), as the engine
// would pass it.
func devConfig(t *testing.T) project.Config {
	t.Helper()
	values, err := project.Load("..", "dev")
	require.NoError(t, err)
	return values
}

// with returns a copy of base with the project keys in overrides replaced (values as the engine passes them).
func with(base project.Config, overrides map[string]string) project.Config {
	out := maps.Clone(base)
	for k, v := range overrides {
		out[config.Project+":"+k] = v
	}
	return out
}

// render runs the program under mocks, against an empty account unless opts say otherwise, with the yaml/v2
// ConfigFile's children registered by the provider's own code.
func render(t *testing.T, values project.Config, opts ...mocks.Option) (*mocks.Recording, error) {
	t.Helper()
	return mocks.Run(config.Project, "dev", values, stack.Program, append([]mocks.Option{yamlv2.Option()}, opts...)...)
}

// renderDev runs the dev stack and fails the test on error.
func renderDev(t *testing.T) *mocks.Recording {
	t.Helper()
	rec, err := render(t, devConfig(t))
	require.NoError(t, err)
	return rec
}

// one returns the single resource of a type with the given name.
func one(t *testing.T, rec *mocks.Recording, token, name string) mocks.Resource {
	t.Helper()
	r, ok := rec.Named(token, name)
	require.Truef(t, ok, "expected a %s named %q; declared: %v", token, name, names(rec.ByType(token)))
	return r
}

func names(rs []mocks.Resource) []string {
	out := make([]string, 0, len(rs))
	for _, r := range rs {
		out = append(out, r.Name)
	}
	return out
}

// pools returns the dev stack's nodePools object with the named pools replaced by the given JSON: nodePools is
// always written in full, as Pulumi replaces an object default wholesale.
func pools(t *testing.T, replace map[string]string) string {
	t.Helper()
	var obj map[string]json.RawMessage
	require.NoError(t, json.Unmarshal([]byte(devConfig(t)[config.Project+":"+config.KeyNodePools]), &obj))
	for name, v := range replace {
		obj[name] = json.RawMessage(v)
	}
	b, err := json.Marshal(obj)
	require.NoError(t, err)
	return string(b)
}
