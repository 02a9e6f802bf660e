package config_test

import (
	"encoding/json"
	"errors"
	"maps"
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/karpenter-savings/karpenter-savings/internal/offline/crdvalidate"
	"github.com/karpenter-savings/karpenter-savings/internal/program/config"
	"github.com/karpenter-savings/karpenter-savings/internal/program/poolspec"
)

// devStackFile is the dev stack's merged configuration as internal/program/project loads it (Pulumi.yaml's defaults under
// Pulumi.dev.yaml). The fuzz target reads this copy instead of importing internal/program/project: project brings the Pulumi
// SDK's workspace code, and `go test -fuzz` instruments every package the test binary links, so the copy keeps 466
// packages out of CI's fuzz build (1,552 down to 1,086). internal/program/project's TestConfigFuzzSeedIsTheDevStack fails
// when the copy drifts.
const devStackFile = "testdata/dev-stack.json"

// devStack reads devStackFile.
func devStack(t testing.TB) config.Values {
	t.Helper()
	raw, err := os.ReadFile(devStackFile)
	if err != nil {
		t.Fatalf("reading the dev stack's configuration: %v", err)
	}
	var values config.Values
	if err := json.Unmarshal(raw, &values); err != nil {
		t.Fatalf("decoding %s: %v", devStackFile, err)
	}
	return values
}

// fuzzedKeys are the keys FuzzLoad replaces, in the order of its arguments; every other key keeps its dev value.
var fuzzedKeys = []string{
	config.RegionKey,
	config.Project + ":" + config.KeyClusterName,
	config.Project + ":" + config.KeyVpcCidr,
	config.Project + ":" + config.KeyAvailabilityZones,
	config.Project + ":" + config.KeyEndpointPublicAccessCidrs,
	config.Project + ":" + config.KeyNodeGroupMinSize,
	config.Project + ":" + config.KeyKarpenterControllerCPU,
	config.Project + ":" + config.KeyNodePools,
	config.Project + ":" + config.KeyTags,
}

// Stand-ins for what the stack reads from SSM, to build the node pools of an accepted configuration.
const (
	fuzzRelease = "1.35.0-20251120"
	fuzzGPUAMI  = "ami-0123456789abcdef0"
)

// FuzzLoad feeds hostile values into Load: it must never panic, every error must start with the key it is about,
// and a configuration it accepts must build node pools the API server accepts (Load is the gate that names keys).
func FuzzLoad(f *testing.F) {
	dev := devStack(f)
	validator, err := crdvalidate.New()
	if err != nil {
		f.Fatalf("loading Karpenter's CRDs: %v", err)
	}
	seed := func(overrides map[string]string) {
		a := make([]string, len(fuzzedKeys))
		for i, k := range fuzzedKeys {
			a[i] = dev[k]
			if v, ok := overrides[k]; ok {
				a[i] = v
			}
		}
		f.Add(a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7], a[8])
	}
	seed(nil)
	for _, bad := range []map[string]string{
		{config.RegionKey: ""},
		{config.RegionKey: "us-east-1 "},
		{config.RegionKey: "eu-west-1"},
		{config.Project + ":" + config.KeyClusterName: strings.Repeat("c", 47)},
		{config.Project + ":" + config.KeyClusterName: "my cluster"},
		{config.Project + ":" + config.KeyVpcCidr: "10.42.0.0/33"},
		{config.Project + ":" + config.KeyVpcCidr: "ten.forty-two"},
		{config.Project + ":" + config.KeyVpcCidr: "10.42.1.0/20"},
		{config.Project + ":" + config.KeyVpcCidr: "fd00::/56"},
		{config.Project + ":" + config.KeyAvailabilityZones: `["us-east-1a"]`},
		{config.Project + ":" + config.KeyAvailabilityZones: `["us-east-1a","eu-west-1b"]`},
		{config.Project + ":" + config.KeyAvailabilityZones: `"us-east-1a"`},
		{config.Project + ":" + config.KeyAvailabilityZones: `null`},
		{config.Project + ":" + config.KeyEndpointPublicAccessCidrs: `["0.0.0.0"]`},
		{config.Project + ":" + config.KeyEndpointPublicAccessCidrs: `["0.0.0.0/0"] []`},
		{config.Project + ":" + config.KeyNodeGroupMinSize: "-1"},
		{config.Project + ":" + config.KeyNodeGroupMinSize: "three"},
		{config.Project + ":" + config.KeyNodeGroupMinSize: "99999999999999999999"},
		{config.Project + ":" + config.KeyKarpenterControllerCPU: "one"},
		{config.Project + ":" + config.KeyKarpenterControllerCPU: "-1"},
		{config.Project + ":" + config.KeyKarpenterControllerCPU: "1e1000"},
		{config.Project + ":" + config.KeyNodePools: `{"default":{"enabled":true,"wieght":1}}`},
		{config.Project + ":" + config.KeyNodePools: `{"default":{"enabled":true,"capacityTypes":["reserved"],"cpu":"16","memory":"32Gi"}}`},
		{config.Project + ":" + config.KeyNodePools: `{"default":{"enabled":true,"capacityTypes":["spot","spot"],"cpu":"16","memory":"32Gi"}}`},
		{config.Project + ":" + config.KeyNodePools: `{"default":{"enabled":true,"weight":50,"capacityTypes":["spot"],"cpu":"16","memory":"32Gi"},"graviton":{"enabled":true,"weight":10,"capacityTypes":["spot"],"cpu":"16","memory":"32Gi"}}`},
		{config.Project + ":" + config.KeyNodePools: `{"default":{"enabled":true,"capacityTypes":["spot"],"cpu":"16","memory":"32Gi","gpu":"1"}}`},
		{config.Project + ":" + config.KeyNodePools: `{"graviton":{"enabled":true,"weight":4294967296}}`},
		{config.Project + ":" + config.KeyNodePools: `[]`},
		{config.Project + ":" + config.KeyNodePools: `{"default":{"enabled":true,"weight":10,"capacityTypes":["spot"],"maxMonthlyUSD":400},"graviton":{"enabled":true,"weight":50,"capacityTypes":["spot","on-demand"],"maxMonthlyUSD":500},"gpu":{"enabled":true,"weight":100,"capacityTypes":["on-demand","spot"],"maxMonthlyUSD":2000,"gpu":"2"}}`},
		{config.Project + ":" + config.KeyNodePools: `{"default":{"enabled":true,"weight":10,"capacityTypes":["spot"],"maxMonthlyUSD":400},"graviton":{"enabled":true,"weight":50,"capacityTypes":["spot","on-demand"],"maxMonthlyUSD":"500"},"gpu":{"enabled":true,"weight":100,"capacityTypes":["on-demand","spot"],"maxMonthlyUSD":2000,"gpu":"2"}}`},
		{config.Project + ":" + config.KeyNodePools: `{"default":{"enabled":true,"weight":10,"capacityTypes":["spot"],"maxMonthlyUSD":400},"graviton":{"enabled":true,"weight":50,"capacityTypes":["spot","on-demand"],"maxMonthlyUSD":0},"gpu":{"enabled":true,"weight":100,"capacityTypes":["on-demand","spot"],"maxMonthlyUSD":2000,"gpu":"2"}}`},
		{config.Project + ":" + config.KeyNodePools: `{"default":{"enabled":true,"weight":10,"capacityTypes":["spot"],"maxMonthlyUSD":400},"graviton":{"enabled":true,"weight":50,"capacityTypes":["spot","on-demand"],"maxMonthlyUSD":1e400},"gpu":{"enabled":true,"weight":100,"capacityTypes":["on-demand","spot"],"maxMonthlyUSD":2000,"gpu":"2"}}`},
		{config.Project + ":" + config.KeyNodePools: `{"default":{"enabled":true,"weight":10,"capacityTypes":["spot"],"maxMonthlyUSD":400},"graviton":{"enabled":true,"weight":50,"capacityTypes":["spot","on-demand"],"maxMonthlyUSD":53.64},"gpu":{"enabled":true,"weight":100,"capacityTypes":["on-demand","spot"],"maxMonthlyUSD":2000,"gpu":"2"}}`},
		{config.Project + ":" + config.KeyNodePools: `{"default":{"enabled":true,"weight":10,"capacityTypes":["spot"],"maxMonthlyUSD":400},"graviton":{"enabled":true,"weight":50,"capacityTypes":["spot","on-demand"],"maxMonthlyUSD":99999999.99},"gpu":{"enabled":true,"weight":100,"capacityTypes":["on-demand","spot"],"maxMonthlyUSD":2000,"gpu":"2"}}`},
		{config.Project + ":" + config.KeyNodePools: `{"default":{"enabled":true,"weight":10,"capacityTypes":["spot"],"maxMonthlyUSD":400,"cpu":"16","memory":"32Gi"},"graviton":{"enabled":false},"gpu":{"enabled":false}}`},
		{config.Project + ":" + config.KeyTags: `{"aws:owner":"me"}`},
		{config.Project + ":" + config.KeyTags: `{"Name":"mine"}`},
		{config.Project + ":" + config.KeyTags: `{"":"empty"}`},
		{config.Project + ":" + config.KeyTags: `{"team":null}`},
		{config.Project + ":" + config.KeyTags: `{"team":1}`},
		{config.Project + ":" + config.KeyTags: `{`},
	} {
		seed(bad)
	}

	f.Fuzz(func(t *testing.T, region, clusterName, vpcCidr, zones, cidrs, minSize, cpu, nodePools, tags string) {
		values := maps.Clone(dev)
		for i, v := range []string{region, clusterName, vpcCidr, zones, cidrs, minSize, cpu, nodePools, tags} {
			values[fuzzedKeys[i]] = v
		}
		cfg, err := config.Load(values.Lookup)
		if err != nil {
			for _, e := range leaves(err) {
				if !namesAKey(e.Error()) {
					t.Fatalf("expected every error to start with the key it is about, got %q", e.Error())
				}
			}
			return
		}
		release := cfg.NodeAMIVersion
		if release == config.NodeAMIRecommended {
			release = fuzzRelease
		}
		set, err := poolspec.Build(cfg.NodePoolOptions(config.AMIAlias(release), fuzzGPUAMI))
		if err != nil {
			t.Fatalf("expected the node pools of an accepted configuration to build, got: %v", err)
		}
		objects, err := set.Objects()
		if err != nil {
			t.Fatalf("encoding the node pools: %v", err)
		}
		for _, obj := range objects {
			if _, err := validator.Validate(obj); err != nil {
				t.Fatalf("expected the API server to accept the objects of an accepted configuration, got: %v", err)
			}
		}
	})
}

// leaves flattens errors.Join trees into the errors that carry a message of their own.
func leaves(err error) []error {
	var joined interface{ Unwrap() []error }
	if !errors.As(err, &joined) {
		return []error{err}
	}
	var out []error
	for _, e := range joined.Unwrap() {
		out = append(out, leaves(e)...)
	}
	return out
}

// namesAKey reports whether msg starts with a known key, followed by ": " or a nested field (".default.cpu: ").
func namesAKey(msg string) bool {
	keys := []string{config.RegionKey}
	for _, k := range config.Keys {
		keys = append(keys, config.Project+":"+k)
	}
	for _, k := range keys {
		if rest, ok := strings.CutPrefix(msg, k); ok && (strings.HasPrefix(rest, ": ") || strings.HasPrefix(rest, ".")) {
			return true
		}
	}
	return false
}

// Load must reject what the node pool builder would reject later, and name the key, so that a preview stops on the
// configuration instead of on an error about poolspec.Options. These are the values FuzzLoad found.
func TestLoadRejectsWhatTheNodePoolBuilderRejects(t *testing.T) {
	dev := devStack(t)
	cases := []struct {
		name, key, value, wantKey, wantMsg string
	}{
		{"duplicate capacity type", config.KeyNodePools,
			`{"default":{"enabled":true,"capacityTypes":["spot","spot"],"cpu":"16","memory":"32Gi"},"graviton":{"enabled":false},"gpu":{"enabled":false}}`,
			"karpenter-savings:nodePools.default.capacityTypes", `"spot" is listed twice`},
		{"gpu limit on a pool without GPUs", config.KeyNodePools,
			`{"default":{"enabled":true,"capacityTypes":["spot"],"cpu":"16","memory":"32Gi","gpu":"1"},"graviton":{"enabled":false},"gpu":{"enabled":false}}`,
			"karpenter-savings:nodePools.default.gpu", "only the gpu pool"},
		{"graviton not preferred", config.KeyNodePools,
			`{"default":{"enabled":true,"weight":50,"capacityTypes":["spot"],"cpu":"16","memory":"32Gi"},"graviton":{"enabled":true,"weight":50,"capacityTypes":["spot"],"cpu":"16","memory":"32Gi"},"gpu":{"enabled":false}}`,
			"karpenter-savings:nodePools.graviton.weight", "50 is not greater than the default pool's weight 50"},
		{"tag the node classes set", config.KeyTags, `{"NodeType":"mine"}`,
			"karpenter-savings:tags", `tag key "NodeType" is reserved`},
		{"the stack's access-entry tag", config.KeyTags, `{"karpenter-savings/access-entry":"someone-else"}`,
			"karpenter-savings:tags", `tag key "karpenter-savings/access-entry" is reserved: the stack puts it on the access entries it creates`},
		{"the managed node group's cluster tag", config.KeyTags, `{"eks:cluster-name":"cluster-with-karpenter"}`,
			"karpenter-savings:tags", `tag key "eks:cluster-name" is reserved: EKS puts it on the managed node group's instances`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			values := maps.Clone(dev)
			values[config.Project+":"+tc.key] = tc.value
			_, err := config.Load(values.Lookup)
			require.Errorf(t, err, "expected %s = %s to be rejected", tc.key, tc.value)
			require.Containsf(t, err.Error(), tc.wantKey+": ", "expected the error to name %s, got %q", tc.wantKey, err)
			require.Containsf(t, err.Error(), tc.wantMsg, "expected %q in the error, got %q", tc.wantMsg, err)
		})
	}
}
