package poolspec_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/karpenter-savings/karpenter-savings/internal/program/poolspec"
	"github.com/karpenter-savings/karpenter-savings/internal/program/poolspec/poolspectest"
)

const cluster = poolspectest.Cluster

func objectsByKindName(t *testing.T, o poolspec.Options) map[string]map[string]any {
	t.Helper()
	set, err := poolspec.Build(o)
	require.NoError(t, err, "Build(lab options)")
	objs, err := set.Objects()
	require.NoError(t, err, "Objects()")
	byName := map[string]map[string]any{}
	for _, obj := range objs {
		name := obj["metadata"].(map[string]any)["name"].(string)
		byName[obj["kind"].(string)+"/"+name] = obj
	}
	return byName
}

func TestLabDefaultNodePool(t *testing.T) {
	want := map[string]any{
		"apiVersion": "karpenter.sh/v1",
		"kind":       "NodePool",
		"metadata":   map[string]any{"name": "default"},
		"spec": map[string]any{
			"template": map[string]any{
				"metadata": map[string]any{"labels": map[string]any{"intent": "apps"}},
				"spec": map[string]any{
					"requirements": []any{
						map[string]any{"key": "kubernetes.io/arch", "operator": "In", "values": []any{"amd64"}},
						map[string]any{"key": "kubernetes.io/os", "operator": "In", "values": []any{"linux"}},
						map[string]any{"key": "karpenter.sh/capacity-type", "operator": "In", "values": []any{"spot"}},
						map[string]any{"key": "karpenter.k8s.aws/instance-size", "operator": "NotIn",
							"values": []any{"nano", "micro", "small"}},
						map[string]any{"key": "karpenter.k8s.aws/instance-generation", "operator": "Gt", "values": []any{"2"}},
					},
					"nodeClassRef":           map[string]any{"group": "karpenter.k8s.aws", "kind": "EC2NodeClass", "name": "default"},
					"expireAfter":            "336h",
					"terminationGracePeriod": "24h0m0s",
				},
			},
			"limits": map[string]any{"cpu": "16", "memory": "32Gi"},
			"disruption": map[string]any{
				"consolidationPolicy": "WhenEmptyOrUnderutilized",
				"consolidateAfter":    "30s",
				"budgets":             []any{map[string]any{"nodes": "50%"}},
			},
		},
	}
	got := objectsByKindName(t, poolspectest.Options())["NodePool/default"]
	require.Equal(t, want, got, "lab default NodePool: expected the lab's values, got a different object")
}

func TestLabDefaultEC2NodeClass(t *testing.T) {
	o := poolspectest.Options()
	o.Tags = map[string]string{"project": "karpenter-savings"}
	discovery := []any{map[string]any{"tags": map[string]any{"karpenter.sh/discovery/" + cluster: cluster}}}
	want := map[string]any{
		"apiVersion": "karpenter.k8s.aws/v1",
		"kind":       "EC2NodeClass",
		"metadata":   map[string]any{"name": "default"},
		"spec": map[string]any{
			"amiSelectorTerms":           []any{map[string]any{"alias": "al2023@v20251120"}},
			"role":                       "KarpenterNodeRole-" + cluster,
			"kubelet":                    map[string]any{"maxPods": 110.0},
			"subnetSelectorTerms":        discovery,
			"securityGroupSelectorTerms": discovery,
			"metadataOptions": map[string]any{
				"httpEndpoint":            "enabled",
				"httpProtocolIPv6":        "disabled",
				"httpPutResponseHopLimit": float64(1),
				"httpTokens":              "required",
			},
			"blockDeviceMappings": []any{map[string]any{
				"deviceName": "/dev/xvda",
				"ebs": map[string]any{"volumeSize": "20Gi", "volumeType": "gp3", "encrypted": true,
					"deleteOnTermination": true},
			}},
			"tags": map[string]any{
				"Name":        cluster + "-karpenter-default",
				"NodeType":    "karpenter-default",
				"IntentLabel": "apps",
				"project":     "karpenter-savings",
			},
		},
	}
	got := objectsByKindName(t, o)["EC2NodeClass/default"]
	require.Equal(t, want, got, "default EC2NodeClass: expected lab values plus extra tags, got a different object")
}

func TestGravitonPreferredOverDefault(t *testing.T) {
	set, err := poolspec.Build(poolspectest.Options())
	require.NoError(t, err)
	weights := map[string]int32{}
	for _, np := range set.NodePools {
		weights[np.Name] = 0
		if np.Spec.Weight != nil {
			weights[np.Name] = *np.Spec.Weight
		}
	}
	require.Greater(t, weights[poolspec.Graviton], weights[poolspec.Default],
		"expected graviton weight > default weight, got %v", weights)
}

func TestGravitonPoolIsArm64OnTheDefaultClass(t *testing.T) {
	np := objectsByKindName(t, poolspectest.Options())["NodePool/graviton"]
	spec := np["spec"].(map[string]any)["template"].(map[string]any)["spec"].(map[string]any)
	require.Contains(t, spec["requirements"],
		map[string]any{"key": "kubernetes.io/arch", "operator": "In", "values": []any{"arm64"}},
		"expected an arm64 requirement")
	require.Contains(t, spec["requirements"],
		map[string]any{"key": "karpenter.sh/capacity-type", "operator": "In", "values": []any{"spot", "on-demand"}},
		"expected spot with on-demand fallback")
	require.Equal(t, map[string]any{"group": "karpenter.k8s.aws", "kind": "EC2NodeClass", "name": "default"},
		spec["nodeClassRef"], "expected graviton to share the default EC2NodeClass")
}

func TestGPUPool(t *testing.T) {
	set, err := poolspec.Build(poolspectest.Options())
	require.NoError(t, err)
	gpu := set.NodePools[len(set.NodePools)-1]
	require.Equal(t, poolspec.GPU, gpu.Name, "expected the gpu pool last")
	require.Equal(t, []poolspec.Taint{{Key: "nvidia.com/gpu", Value: "true", Effect: "NoSchedule"}},
		gpu.Spec.Template.Spec.Taints, "gpu taint")
	gpuLimit := gpu.Spec.Limits[poolspec.GPUResource]
	require.Equal(t, "4", gpuLimit.String(), "expected nvidia.com/gpu limit 4")
	require.Equal(t, poolspec.GPU, gpu.Spec.Template.Spec.NodeClassRef.Name, "gpu pool node class")

	class := set.NodeClasses[len(set.NodeClasses)-1]
	require.Equal(t, poolspec.GPU, class.Name, "expected the gpu class last")
	require.Equal(t, "AL2023", *class.Spec.AMIFamily, "gpu class amiFamily")
	require.Equal(t, poolspectest.GPUAMIID, class.Spec.AMISelectorTerms[0].ID, "gpu class AMI id")
	require.Equal(t, "100Gi", class.Spec.BlockDeviceMappings[0].EBS.VolumeSize.String(), "gpu root volume")
}

func TestGPULimitOptional(t *testing.T) {
	o := poolspectest.Options()
	o.GPU.GPULimit = ""
	set, err := poolspec.Build(o)
	require.NoError(t, err)
	_, ok := set.NodePools[len(set.NodePools)-1].Spec.Limits[poolspec.GPUResource]
	require.False(t, ok, "expected no nvidia.com/gpu limit when GPULimit is empty")
}

func TestOnlyEnabledPools(t *testing.T) {
	cases := []struct {
		name                       string
		dflt, graviton, gpu        bool
		wantClasses, wantNodePools []string
	}{
		{"all", true, true, true, []string{"default", "gpu"}, []string{"default", "graviton", "gpu"}},
		{"lab only", true, false, false, []string{"default"}, []string{"default"}},
		{"graviton only keeps the default class", false, true, false, []string{"default"}, []string{"graviton"}},
		{"gpu only", false, false, true, []string{"gpu"}, []string{"gpu"}},
		{"no gpu", true, true, false, []string{"default"}, []string{"default", "graviton"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			o := poolspectest.Options()
			o.Default.Enabled, o.Graviton.Enabled, o.GPU.Enabled = tc.dflt, tc.graviton, tc.gpu
			set, err := poolspec.Build(o)
			require.NoError(t, err)
			var classes, pools []string
			for _, nc := range set.NodeClasses {
				classes = append(classes, nc.Name)
			}
			for _, np := range set.NodePools {
				pools = append(pools, np.Name)
			}
			require.Equal(t, tc.wantClasses, classes, "EC2NodeClasses")
			require.Equal(t, tc.wantNodePools, pools, "NodePools")
		})
	}
}

func TestObjectsApplyOrder(t *testing.T) {
	set, err := poolspec.Build(poolspectest.Options())
	require.NoError(t, err)
	objs, err := set.Objects()
	require.NoError(t, err)
	var got []string
	for _, obj := range objs {
		got = append(got, obj["kind"].(string)+"/"+obj["metadata"].(map[string]any)["name"].(string))
	}
	require.Equal(t, []string{"EC2NodeClass/default", "EC2NodeClass/gpu", "NodePool/default", "NodePool/graviton",
		"NodePool/gpu"}, got, "expected classes before pools")
}

func TestBuildRejectsBadOptions(t *testing.T) {
	cases := []struct {
		name   string
		mutate func(*poolspec.Options)
		want   string
	}{
		{"no cluster name", func(o *poolspec.Options) { o.ClusterName = "" }, `Options.ClusterName = "": required`},
		{"no node role", func(o *poolspec.Options) { o.NodeRoleName = "" }, `Options.NodeRoleName = "": required`},
		{"no discovery key", func(o *poolspec.Options) { o.DiscoveryTagKey = "" }, `Options.DiscoveryTagKey = "": required`},
		{"alias without version", func(o *poolspec.Options) { o.AMIAlias = "al2023" }, `Options.AMIAlias = "al2023"`},
		{"alias of unknown family", func(o *poolspec.Options) { o.AMIAlias = "ubuntu@latest" }, `Options.AMIAlias = "ubuntu@latest"`},
		{"gpu AMI not an id", func(o *poolspec.Options) { o.GPUAMIID = "al2023-nvidia" }, `Options.GPUAMIID = "al2023-nvidia"`},
		{"nothing enabled", func(o *poolspec.Options) {
			o.Default.Enabled, o.Graviton.Enabled, o.GPU.Enabled = false, false, false
		}, "enable at least one pool"},
		{"weight above 100", func(o *poolspec.Options) { o.Graviton.Weight = 101 }, `Options.Graviton.Weight = "101"`},
		{"no capacity types", func(o *poolspec.Options) { o.Default.CapacityTypes = nil }, `Options.Default.CapacityTypes = "[]"`},
		{"unknown capacity type", func(o *poolspec.Options) { o.Default.CapacityTypes = []string{"reserved"} },
			`Options.Default.CapacityTypes[0] = "reserved"`},
		{"duplicate capacity type", func(o *poolspec.Options) { o.GPU.CapacityTypes = []string{"spot", "spot"} },
			`Options.GPU.CapacityTypes[1] = "spot": duplicate`},
		{"bad cpu limit", func(o *poolspec.Options) { o.Default.CPULimit = "16 cores" }, `Options.Default.CPULimit = "16 cores"`},
		{"missing memory limit", func(o *poolspec.Options) { o.Graviton.MemoryLimit = "" }, `Options.Graviton.MemoryLimit = "": required`},
		{"zero cpu limit", func(o *poolspec.Options) { o.GPU.CPULimit = "0" }, `Options.GPU.CPULimit = "0": must be positive`},
		{"gpu limit on default pool", func(o *poolspec.Options) { o.Default.GPULimit = "1" }, `Options.Default.GPULimit = "1"`},
		{"graviton not preferred", func(o *poolspec.Options) { o.Default.Weight = 50 }, `Options.Graviton.Weight = "50": must be greater than Default.Weight (50)`},
		{"tag overrides Name", func(o *poolspec.Options) { o.Tags = map[string]string{"Name": "x"} }, `Options.Tags[Name] = "x"`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			o := poolspectest.Options()
			tc.mutate(&o)
			set, err := poolspec.Build(o)
			require.Nil(t, set, "expected no Set on error")
			require.ErrorContains(t, err, tc.want)
		})
	}
}

// Options that leave a selector term empty are refused twice: by the Options field, and by the node class and term
// they would have produced.
func TestBuildRejectsEmptySelectorTerms(t *testing.T) {
	cases := []struct {
		name   string
		mutate func(*poolspec.Options)
		want   []string
	}{
		{"no discovery tag key", func(o *poolspec.Options) { o.DiscoveryTagKey = "" }, []string{
			`Options.DiscoveryTagKey = "": required`,
			`EC2NodeClass "default": spec.subnetSelectorTerms[0] has a tag with an empty key (value "` + cluster + `")`,
			`EC2NodeClass "default": spec.securityGroupSelectorTerms[0] has a tag with an empty key`,
			`EC2NodeClass "gpu": spec.subnetSelectorTerms[0] has a tag with an empty key`,
			`EC2NodeClass "gpu": spec.securityGroupSelectorTerms[0] has a tag with an empty key`,
		}},
		{"no cluster name for the discovery tag's value", func(o *poolspec.Options) { o.ClusterName = "" }, []string{
			`Options.ClusterName = "": required`,
			`EC2NodeClass "default": spec.subnetSelectorTerms[0] has tag "karpenter.sh/discovery/` + cluster + `" with an empty value`,
			`EC2NodeClass "gpu": spec.securityGroupSelectorTerms[0] has tag "karpenter.sh/discovery/` + cluster + `" with an empty value`,
		}},
		{"no AMI alias", func(o *poolspec.Options) { o.AMIAlias = "" }, []string{
			`Options.AMIAlias = "": want <family>@<version>`,
			`EC2NodeClass "default": spec.amiSelectorTerms[0] is empty: want an alias or an id`,
		}},
		{"no GPU AMI id", func(o *poolspec.Options) { o.GPUAMIID = "" }, []string{
			`Options.GPUAMIID = "": want an AMI id`,
			`EC2NodeClass "gpu": spec.amiSelectorTerms[0] is empty: want an alias or an id`,
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			o := poolspectest.Options()
			tc.mutate(&o)
			set, err := poolspec.Build(o)
			require.Nil(t, set, "expected no Set on error")
			for _, want := range tc.want {
				require.ErrorContains(t, err, want)
			}
		})
	}
}

func TestDisabledPoolSpecsAreNotValidated(t *testing.T) {
	o := poolspectest.Options()
	o.GPU = poolspec.PoolSpec{}
	o.GPUAMIID = ""
	_, err := poolspec.Build(o)
	require.NoError(t, err, "expected a disabled, empty GPU pool and no GPU AMI to be accepted")
}
