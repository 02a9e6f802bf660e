package config

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// today is the day the rule tests validate on.
var today = time.Date(2026, 11, 30, 0, 0, 0, 0, time.UTC)

// validConfig is the project's default configuration (Pulumi.yaml), which must pass.
func validConfig(t *testing.T) *Config {
	t.Helper()
	pool := func(weight int32, capacity []string, cpu, memory, gpu string) Pool {
		return Pool{Enabled: true, Weight: weight, CapacityTypes: capacity, CPU: cpu, Memory: memory, GPU: gpu}
	}
	c := &Config{
		Region: "us-east-1", ClusterName: "cluster-with-karpenter", KubernetesVersion: "1.35", VpcCidr: "10.42.0.0/20",
		AvailabilityZones: []string{"us-east-1a", "us-east-1c"}, NatGateways: NatSingle, DiscoveryTag: DiscoveryPerCluster,
		NodeGroup:      NodeGroup{InstanceTypes: []string{"t4g.medium", "c7g.large", "c6g.large"}, CapacityType: "SPOT", MinSize: 2, MaxSize: 3, DesiredSize: 2},
		Tags:           map[string]string{"project": "karpenter-savings", "managed-by": "pulumi"},
		Karpenter:      Karpenter{Version: "1.14.4", Namespace: "kube-system", Replicas: 2, ControllerCPU: "1", ControllerMemory: "1Gi"},
		NodeAMIVersion: "v20251120",
		NodePools: NodePools{
			Default:  pool(10, []string{"spot"}, "16", "32Gi", ""),
			Graviton: pool(50, []string{"spot", "on-demand"}, "32", "64Gi", ""),
			GPU:      pool(100, []string{"on-demand", "spot"}, "16", "64Gi", "2"),
		},
		NvidiaDevicePluginVersion: "0.17.1",
		SampleApp:                 SampleApp{Enabled: true, ManifestURL: "https://github.com/aws-containers/retail-store-sample-app/releases/download/v1.3.0/kubernetes.yaml", CPURequest: "250m", MemoryRequest: "512Mi"},
		SavingsWorkloads:          []string{"examples/retail-store.yaml"},
	}
	require.NoError(t, c.ValidateAt(today), "the defaults must pass")
	return c
}

// ruleCase is one edit of the valid configuration and what ValidateAt must say of it ("" = accepted).
type ruleCase struct {
	name string
	edit func(*Config)
	want string
}

func runRules(t *testing.T, cases []ruleCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := validConfig(t)
			tc.edit(c)
			err := c.ValidateAt(today)
			if tc.want == "" {
				require.NoError(t, err, "a valid neighbour must pass")
				return
			}
			require.ErrorContains(t, err, tc.want)
		})
	}
}

func TestQuantitiesAreReadAsKubernetesReadsThem(t *testing.T) {
	setPool := func(f func(*Pool)) func(*Config) { return func(c *Config) { f(&c.NodePools.Default) } }
	runRules(t, []ruleCase{
		{"controller memory without a unit", func(c *Config) { c.Karpenter.ControllerMemory = "512" },
			`karpenter-savings:karpenterControllerMemory: "512" has no unit, so Kubernetes reads it as 512 bytes; write the unit: 512Mi or 512Gi`},
		{"controller memory in kilobytes", func(c *Config) { c.Karpenter.ControllerMemory = "512k" }, `"512k" is 512000 bytes, less than 1Mi; did you mean 512Mi or 512Gi?`},
		{"controller memory in Mi", func(c *Config) { c.Karpenter.ControllerMemory = "512Mi" }, ""},
		{"controller memory in decimal G", func(c *Config) { c.Karpenter.ControllerMemory = "1G" }, ""},
		{"controller cpu of a thousand cores", func(c *Config) { c.Karpenter.ControllerCPU = "1000" },
			`karpenter-savings:karpenterControllerCpu: "1000" is 1k cores, more than 64; did you mean 1000m (millicores)?`},
		{"controller cpu in millicores", func(c *Config) { c.Karpenter.ControllerCPU = "1000m" }, ""},
		{"controller cpu zero", func(c *Config) { c.Karpenter.ControllerCPU = "0" }, `"0" is not a positive CPU quantity`},
		{"pool memory without a unit", setPool(func(p *Pool) { p.Memory = "32" }),
			`karpenter-savings:nodePools.default.memory: "32" has no unit, so Kubernetes reads it as 32 bytes; write the unit: 32Mi or 32Gi`},
		{"pool memory with a unit", setPool(func(p *Pool) { p.Memory = "32Gi" }), ""},
		{"pool cpu of many cores", setPool(func(p *Pool) { p.CPU = "1000" }), ""},
		{"pool cpu garbage", setPool(func(p *Pool) { p.CPU = "lots" }), `karpenter-savings:nodePools.default.cpu: "lots" is not a positive CPU quantity`},
		{"gpu limit in millis", func(c *Config) { c.NodePools.GPU.GPU = "500m" },
			`karpenter-savings:nodePools.gpu.gpu: "500m" is not a whole number of GPUs`},
		{"gpu limit fractional", func(c *Config) { c.NodePools.GPU.GPU = "1.5" }, `"1.5" is not a whole number of GPUs`},
		{"gpu limit whole", func(c *Config) { c.NodePools.GPU.GPU = "4" }, ""},
	})
}

func TestControllerReplicasFitTheNodeGroup(t *testing.T) {
	runRules(t, []ruleCase{
		{"more replicas than nodes", func(c *Config) { c.Karpenter.Replicas = 3 },
			"karpenter-savings:karpenterReplicas: 3 is more than karpenter-savings:nodeGroupDesiredSize 2: the chart places one replica per node"},
		{"as many replicas as nodes", func(c *Config) { c.Karpenter.Replicas = 2 }, ""},
		{"more nodes", func(c *Config) { c.Karpenter.Replicas = 3; c.NodeGroup.DesiredSize = 3 }, ""},
	})
}

func TestTagsWithinAWSLimits(t *testing.T) {
	many := func(n int) map[string]string {
		m := map[string]string{}
		for i := range n {
			m[fmt.Sprintf("team-%02d", i)] = "x"
		}
		return m
	}
	runRules(t, []ruleCase{
		{"43 tags", func(c *Config) { c.Tags = many(43) },
			"karpenter-savings:tags: 43 tags are configured; at most 42 are allowed, because AWS allows 50 tags on a resource and the stack and Karpenter add up to 8"},
		{"42 tags", func(c *Config) { c.Tags = many(42) }, ""},
		{"key of 129 characters", func(c *Config) { c.Tags = map[string]string{strings.Repeat("k", 129): "v"} }, "must have 1 to 128 characters"},
		{"key of 128 characters", func(c *Config) { c.Tags = map[string]string{strings.Repeat("k", 128): "v"} }, ""},
		{"value of 257 characters", func(c *Config) { c.Tags = map[string]string{"k": strings.Repeat("v", 257)} }, "is 257 characters; at most 256"},
		{"key IAM refuses", func(c *Config) { c.Tags = map[string]string{"cost#center": "v"} }, `tag key "cost#center" has a character IAM refuses`},
		{"value IAM refuses", func(c *Config) { c.Tags = map[string]string{"owner": "a,b"} }, `value "a,b" of tag "owner" has a character IAM refuses`},
		{"characters IAM accepts", func(c *Config) { c.Tags = map[string]string{"cost-center:team/x": "Équipe 42 @ops+=_."} }, ""},
	})
}

func TestPublicAccessCidrsWithinEKSLimit(t *testing.T) {
	cidrs := func(n int) []string {
		out := make([]string, n)
		for i := range n {
			out[i] = fmt.Sprintf("203.0.%d.0/24", i)
		}
		return out
	}
	runRules(t, []ruleCase{
		{"41 blocks", func(c *Config) { c.EndpointPublicAccessCidrs = cidrs(41) }, "karpenter-savings:endpointPublicAccessCidrs: lists 41 CIDR blocks; EKS accepts at most 40"},
		{"40 blocks", func(c *Config) { c.EndpointPublicAccessCidrs = cidrs(40) }, ""},
	})
}

func TestSampleAppURLMustNotMove(t *testing.T) {
	set := func(u string) func(*Config) { return func(c *Config) { c.SampleApp.ManifestURL = u } }
	runRules(t, []ruleCase{
		{"branch ref", set("https://raw.githubusercontent.com/aws-containers/retail-store-sample-app/refs/heads/main/x.yaml"), "karpenter-savings:sampleAppManifestUrl: "},
		{"latest release", set("https://github.com/aws-containers/retail-store-sample-app/releases/latest/download/kubernetes.yaml"), `karpenter-savings:sampleAppManifestUrl: "https://github.com/aws-containers/retail-store-sample-app/releases/latest/download/kubernetes.yaml" follows "latest"`},
		{"another release", set("https://github.com/aws-containers/retail-store-sample-app/releases/download/v1.4.0/kubernetes.yaml"), ""},
		{"disabled app is not checked", func(c *Config) { c.SampleApp = SampleApp{Enabled: false, ManifestURL: "http://x"} }, ""},
	})
}

func TestAdminPrincipalsMayHavePaths(t *testing.T) {
	set := func(arns ...string) func(*Config) { return func(c *Config) { c.ClusterAdminPrincipalArns = arns } }
	sso := "arn:aws:iam::123456789012:role/aws-reserved/sso.amazonaws.com/eu-west-1/AWSReservedSSO_Admin_0123456789abcdef"
	runRules(t, []ruleCase{
		{"Identity Center role with its path", set(sso), ""},
		{"role with a path and a user", set("arn:aws:iam::123456789012:role/platform/admin", "arn:aws:iam::123456789012:user/alice"), ""},
		{"same role with and without its path", set(sso, "arn:aws:iam::123456789012:role/AWSReservedSSO_Admin_0123456789abcdef"),
			`karpenter-savings:clusterAdminPrincipalArns: "arn:aws:iam::123456789012:role/AWSReservedSSO_Admin_0123456789abcdef" is listed twice`},
		{"not an ARN", set("AWSReservedSSO_Admin"), "is not an IAM role or user ARN"},
	})
}

func TestNodeGroupInstanceTypesFitTheController(t *testing.T) {
	types := func(ts ...string) func(*Config) { return func(c *Config) { c.NodeGroup.InstanceTypes = ts } }
	runRules(t, []ruleCase{
		{"typo", types("t4g.medum"), `karpenter-savings:nodeGroupInstanceTypes: "t4g.medum" is not an EC2 instance type`},
		{"x86 type", types("m6i.large"), `"m6i.large" is x86_64, but the critical-addons-only group runs the AL2023 arm64 AMI`},
		{"A1, arm64 but not AL2023", types("a1.large"), `"a1.large"`},
		{"too small for the controller and add-ons", types("t4g.micro"), `"t4g.micro" has 489Mi memory allocatable`},
		{"not offered in the region", func(c *Config) {
			c.Region, c.AvailabilityZones = "af-south-1", []string{"af-south-1a", "af-south-1b"}
			c.NodeGroup.InstanceTypes = []string{"c7g.large"}
		}, `"c7g.large"`},
		{"the smallest that fits", types("t4g.small"), ""},
		{"a bigger controller on a small type", func(c *Config) { c.Karpenter.ControllerCPU = "2" },
			`(karpenter-savings:karpenterControllerCpu is "2")`},
		{"a bigger controller on a bigger type", func(c *Config) { c.Karpenter.ControllerCPU = "2"; c.NodeGroup.InstanceTypes = []string{"c7g.xlarge"} }, ""},
	})
}

func TestSavingsWorkloadsAreProjectManifests(t *testing.T) {
	set := func(ws ...string) func(*Config) { return func(c *Config) { c.SavingsWorkloads = ws } }
	runRules(t, []ruleCase{
		{"none", set(), "karpenter-savings:savingsWorkloads: must list at least one manifest"},
		{"outside the project", set("../other/w.yaml"), `karpenter-savings:savingsWorkloads: "../other/w.yaml" is not allowed`},
		{"absolute", set("/etc/w.yaml"), `"/etc/w.yaml" is not allowed`},
		{"not YAML", set("examples/w.json"), `"examples/w.json" is not allowed`},
		{"two manifests", set("examples/retail-store.yaml", "examples/mixed-workload.yml"), ""},
	})
}
