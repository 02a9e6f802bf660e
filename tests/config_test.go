package tests

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// Every bad value must fail at preview time, name the key and the value, and declare nothing.
func TestBadConfigFailsBeforeAnyResource(t *testing.T) {
	cases := []struct {
		name      string
		overrides map[string]string
		wantKey   string
		wantMsg   string
	}{
		{"cidr with a bad prefix", map[string]string{"vpcCidr": "10.42.0.0/33"}, "karpenter-savings:vpcCidr", `"10.42.0.0/33" is not an IPv4 CIDR`},
		{"cidr that is not one", map[string]string{"vpcCidr": "ten.forty-two"}, "karpenter-savings:vpcCidr", "is not an IPv4 CIDR"},
		{"cidr with host bits", map[string]string{"vpcCidr": "10.42.1.0/20"}, "karpenter-savings:vpcCidr", "did you mean 10.42.0.0/20"},
		{"public cidr", map[string]string{"vpcCidr": "8.8.0.0/20"}, "karpenter-savings:vpcCidr", "not a private"},
		{"one zone", map[string]string{"availabilityZones": `["us-east-1a"]`}, "karpenter-savings:availabilityZones", "at least 2 are required"},
		{"zone of another region", map[string]string{"availabilityZones": `["us-east-1a","eu-west-1b"]`}, "karpenter-savings:availabilityZones", `"eu-west-1b" is not a zone of region "us-east-1"`},
		{"duplicate zone", map[string]string{"availabilityZones": `["us-east-1a","us-east-1a"]`}, "karpenter-savings:availabilityZones", "listed twice"},
		{"kubernetes too old for karpenter", map[string]string{"kubernetesVersion": "1.25"}, "karpenter-savings:kubernetesVersion", `"1.25" is not supported`},
		{"kubernetes unknown", map[string]string{"kubernetesVersion": "1.99"}, "karpenter-savings:kubernetesVersion", "1.35, 1.36 (the versions EKS still creates"},
		{"kubernetes past extended support", map[string]string{"kubernetesVersion": "1.30"}, "karpenter-savings:kubernetesVersion", `"1.30" left EKS extended support on 2026-07-23: EKS no longer creates it`},
		{"zone letter the region lacks", map[string]string{"availabilityZones": `["us-east-1a","us-east-1g"]`}, "karpenter-savings:availabilityZones", `"us-east-1g" is not an available zone of us-east-1; the region offers us-east-1a, us-east-1b, us-east-1c, us-east-1d, us-east-1e, us-east-1f`},
		{"zone of a region named alike", map[string]string{"availabilityZones": `["us-east-1a","us-east-11a"]`}, "karpenter-savings:availabilityZones", `"us-east-11a" is not an available zone of us-east-1`},
		{"controller memory without a unit", map[string]string{"karpenterControllerMemory": "512"}, "karpenter-savings:karpenterControllerMemory", "has no unit, so Kubernetes reads it as 512 bytes"},
		{"more controller replicas than nodes", map[string]string{"karpenterReplicas": "3"}, "karpenter-savings:karpenterReplicas", "3 is more than karpenter-savings:nodeGroupDesiredSize 2"},
		{"sample app on a branch ref", map[string]string{"sampleAppManifestUrl": "https://raw.githubusercontent.com/aws-containers/retail-store-sample-app/refs/heads/main/dist/kubernetes/deploy.yaml"}, "karpenter-savings:sampleAppManifestUrl", "which moves; pin a release"},
		{"tag value IAM refuses", map[string]string{"tags": `{"owner":"a;b"}`}, "karpenter-savings:tags", "has a character IAM refuses"},
		{"kubernetes without pinned add-on versions", map[string]string{"kubernetesVersion": "1.33"}, "karpenter-savings:kubernetesVersion", `no EKS add-on versions are pinned for Kubernetes "1.33"; the table (components/cluster/addons.go) knows 1.34, 1.35, 1.36`},
		{"kubernetes not a version", map[string]string{"kubernetesVersion": "latest"}, "karpenter-savings:kubernetesVersion", `"latest" is not supported`},
		{"negative min size", map[string]string{"nodeGroupMinSize": "-1"}, "karpenter-savings:nodeGroupMinSize", "-1 is not allowed"},
		{"negative max size", map[string]string{"nodeGroupMaxSize": "-3"}, "karpenter-savings:nodeGroupMaxSize", "-3 is not allowed"},
		{"min greater than max", map[string]string{"nodeGroupMinSize": "4", "nodeGroupDesiredSize": "4"}, "karpenter-savings:nodeGroupMinSize", "4 is greater than karpenter-savings:nodeGroupMaxSize 3"},
		{"desired outside min..max", map[string]string{"nodeGroupDesiredSize": "7"}, "karpenter-savings:nodeGroupDesiredSize", "7 is not between"},
		{"size not a number", map[string]string{"nodeGroupMaxSize": "three"}, "karpenter-savings:nodeGroupMaxSize", `"three" is not an integer`},
		{"x86 type in the arm64 group", map[string]string{"nodeGroupInstanceTypes": `["m5.large"]`}, "karpenter-savings:nodeGroupInstanceTypes", `"m5.large" is x86_64, but the critical-addons-only group runs the AL2023 arm64 AMI; did you mean m6g.large`},
		{"instance type typo", map[string]string{"nodeGroupInstanceTypes": `["t4g.medum"]`}, "karpenter-savings:nodeGroupInstanceTypes", `"t4g.medum" is not an EC2 instance type`},
		{"instance type too small for the controller", map[string]string{"nodeGroupInstanceTypes": `["t4g.micro"]`}, "karpenter-savings:nodeGroupInstanceTypes", `"t4g.micro" has 489Mi memory allocatable`},
		{"controller too big for the smallest type", map[string]string{"karpenterControllerCpu": "2"}, "karpenter-savings:nodeGroupInstanceTypes", `(karpenter-savings:karpenterControllerCpu is "2")`},
		{"no instance types", map[string]string{"nodeGroupInstanceTypes": `[]`}, "karpenter-savings:nodeGroupInstanceTypes", "at least one"},
		{"bad capacity type", map[string]string{"nodeGroupCapacityType": "spot"}, "karpenter-savings:nodeGroupCapacityType", `"spot" is not allowed: use SPOT or ON_DEMAND`},
		{"empty cluster name", map[string]string{"clusterName": ""}, "karpenter-savings:clusterName", "must not be empty"},
		{"cluster name longer than EKS allows", map[string]string{"clusterName": strings.Repeat("c", 101)}, "karpenter-savings:clusterName", "is 101 characters"},
		{"cluster name too long for the controller role", map[string]string{"clusterName": strings.Repeat("c", 41)}, "karpenter-savings:clusterName", "at most 40 are allowed"},
		{"cluster name with bad characters", map[string]string{"clusterName": "my cluster"}, "karpenter-savings:clusterName", "is not a valid EKS cluster name"},
		{"nat mode", map[string]string{"natGateways": "two"}, "karpenter-savings:natGateways", `"two" is not allowed`},
		{"discovery tag style", map[string]string{"discoveryTag": "karpenter.sh/discovery"}, "karpenter-savings:discoveryTag", "is not allowed"},
		{"endpoint cidr", map[string]string{"endpointPublicAccessCidrs": `["0.0.0.0"]`}, "karpenter-savings:endpointPublicAccessCidrs", `"0.0.0.0" is not a CIDR`},
		{"endpoint open to the internet", map[string]string{"endpointPublicAccessCidrs": `["0.0.0.0/0"]`}, "karpenter-savings:endpointPublicAccessCidrs", "opens the API endpoint to the whole internet"},
		{"admin principal not an ARN", map[string]string{"clusterAdminPrincipalArns": `["platform-admin"]`}, "karpenter-savings:clusterAdminPrincipalArns", `"platform-admin" is not an IAM role or user ARN`},
		{"reserved tag prefix", map[string]string{"tags": `{"aws:owner":"me"}`}, "karpenter-savings:tags", "reserved aws: prefix"},
		{"the stack's access-entry tag", map[string]string{"tags": `{"karpenter-savings/access-entry":"cluster-with-karpenter"}`}, "karpenter-savings:tags",
			`tag key "karpenter-savings/access-entry" is reserved: the stack puts it on the access entries it creates`},
		{"karpenter minor the IAM is not built for", map[string]string{"karpenterVersion": "1.15.0"}, "karpenter-savings:karpenterVersion", `"1.15.0" is not allowed`},
		{"karpenter version not semver", map[string]string{"karpenterVersion": "v1.14"}, "karpenter-savings:karpenterVersion", "not a release version"},
		{"namespace", map[string]string{"karpenterNamespace": "Kube_System"}, "karpenter-savings:karpenterNamespace", "is not a Kubernetes namespace name"},
		{"zero replicas", map[string]string{"karpenterReplicas": "0"}, "karpenter-savings:karpenterReplicas", "0 is not allowed"},
		{"controller cpu", map[string]string{"karpenterControllerCpu": "one"}, "karpenter-savings:karpenterControllerCpu", `"one" is not a positive CPU quantity`},
		{"ami version", map[string]string{"nodeAmiVersion": "latest"}, "karpenter-savings:nodeAmiVersion", `"latest" is not allowed`},
		{"sample app on a branch", map[string]string{"sampleAppManifestUrl": "https://raw.githubusercontent.com/aws-containers/retail-store-sample-app/main/dist/kubernetes/deploy.yaml"}, "karpenter-savings:sampleAppManifestUrl", "pin a release"},
		{"sample app over http", map[string]string{"sampleAppManifestUrl": "http://example.com/x.yaml"}, "karpenter-savings:sampleAppManifestUrl", "is not an https URL"},
		{"misspelt pool field", map[string]string{"nodePools": pools(t, map[string]string{"default": `{"enabled":true,"wieght":1}`})}, "karpenter-savings:nodePools", `unknown field "wieght"`},
		{"pool capacity type", map[string]string{"nodePools": pools(t, map[string]string{"default": `{"enabled":true,"capacityTypes":["reserved"],"cpu":"16","memory":"32Gi"}`})}, "karpenter-savings:nodePools.default.capacityTypes", `"reserved" is not allowed`},
		{"pool weight", map[string]string{"nodePools": pools(t, map[string]string{"graviton": `{"enabled":true,"weight":101,"capacityTypes":["spot"],"cpu":"16","memory":"32Gi"}`})}, "karpenter-savings:nodePools.graviton.weight", "101 is not allowed"},
		{"pool grace period in days", map[string]string{"nodePools": pools(t, map[string]string{"default": `{"enabled":true,"capacityTypes":["spot"],"cpu":"16","memory":"32Gi","terminationGracePeriod":"1d"}`})}, "karpenter-savings:nodePools.default.terminationGracePeriod", `"1d" is not a duration Karpenter accepts`},
		{"pool grace period too long", map[string]string{"nodePools": pools(t, map[string]string{"graviton": `{"enabled":true,"weight":50,"capacityTypes":["spot"],"cpu":"16","memory":"32Gi","terminationGracePeriod":"200h"}`})}, "karpenter-savings:nodePools.graviton.terminationGracePeriod", `"200h" is not allowed: from 1s to 168h`},
		{"pool memory", map[string]string{"nodePools": pools(t, map[string]string{"default": `{"enabled":true,"capacityTypes":["spot"],"cpu":"16","memory":"lots"}`})}, "karpenter-savings:nodePools.default.memory", `"lots" is not a positive memory quantity`},
		{"gpu pool outweighed by a general pool", map[string]string{"nodePools": pools(t, map[string]string{"default": `{"enabled":true,"weight":10,"capacityTypes":["spot"],"cpu":"16","memory":"32Gi"}`, "graviton": `{"enabled":true,"weight":50,"capacityTypes":["spot"],"cpu":"16","memory":"32Gi"}`, "gpu": `{"enabled":true,"weight":20,"capacityTypes":["spot"],"cpu":"16","memory":"32Gi"}`})}, "karpenter-savings:nodePools.gpu.weight", "20 must be greater than graviton.weight 50"},
		{"cost allocation tags not a boolean", map[string]string{"activateCostAllocationTags": "yes"}, "karpenter-savings:activateCostAllocationTags", `"yes" is not a boolean (true or false)`},
		{"device plugin version", map[string]string{"nvidiaDevicePluginVersion": "latest"}, "karpenter-savings:nvidiaDevicePluginVersion", `"latest" is not a chart version`},
		{"pool left out, as pulumi config set --path writes it", map[string]string{"nodePools": `{"gpu":{"enabled":false}}`}, "karpenter-savings:nodePools.default", "missing; karpenter-savings:nodePools must list default, graviton, gpu in full"},
		{"enabled left out", map[string]string{"nodePools": pools(t, map[string]string{"graviton": `{"weight":60,"capacityTypes":["spot"],"cpu":"16","memory":"32Gi"}`})}, "karpenter-savings:nodePools.graviton.enabled", "must be set (true or false)"},
		{"pool budget beside the default's limits", map[string]string{"nodePools": pools(t, map[string]string{"graviton": `{"enabled":true,"weight":50,"capacityTypes":["spot","on-demand"],"cpu":"32","memory":"64Gi","maxMonthlyUSD":500}`})}, "karpenter-savings:nodePools.graviton.maxMonthlyUSD", `500 is set together with cpu "32" and memory "64Gi"`},
		{"pool budget below one node", map[string]string{"nodePools": pools(t, map[string]string{"graviton": `{"enabled":true,"weight":50,"capacityTypes":["spot","on-demand"],"maxMonthlyUSD":20}`})}, "karpenter-savings:nodePools.graviton.maxMonthlyUSD", "20 is too small: the smallest type the pool can launch, c6g.medium"},
		{"pool budget as a string", map[string]string{"nodePools": pools(t, map[string]string{"gpu": `{"enabled":true,"weight":100,"capacityTypes":["on-demand"],"gpu":"2","maxMonthlyUSD":"2000"}`})}, "karpenter-savings:nodePools.gpu.maxMonthlyUSD", `"2000" is not allowed`},
		{"pool budget of zero", map[string]string{"nodePools": pools(t, map[string]string{"default": `{"enabled":true,"weight":10,"capacityTypes":["spot"],"maxMonthlyUSD":0}`})}, "karpenter-savings:nodePools.default.maxMonthlyUSD", "0 is not allowed"},
		{"no general-purpose pool", map[string]string{"nodePools": pools(t, map[string]string{"default": `{"enabled":false}`, "graviton": `{"enabled":false}`, "gpu": `{"enabled":true,"capacityTypes":["spot"],"cpu":"16","memory":"32Gi"}`})}, "karpenter-savings:nodePools", "enable at least one of default or graviton"},
	}
	base := devConfig(t)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			rec, err := render(t, with(base, tc.overrides))
			require.Error(t, err, "expected %v to be rejected", tc.overrides)
			require.Contains(t, err.Error(), tc.wantKey+": ", "the error names the key")
			require.Contains(t, err.Error(), tc.wantMsg)
			require.Empty(t, rec.Resources, "a rejected configuration declares no resource")
		})
	}
}

func TestEveryProblemIsReportedAtOnce(t *testing.T) {
	_, err := render(t, with(devConfig(t), map[string]string{"vpcCidr": "nope", "clusterName": "", "natGateways": "many"}))
	require.Error(t, err)
	for _, key := range []string{"karpenter-savings:vpcCidr", "karpenter-savings:clusterName", "karpenter-savings:natGateways"} {
		require.Contains(t, err.Error(), key)
	}
}

func TestMissingRegionIsNamed(t *testing.T) {
	values := devConfig(t)
	delete(values, "aws:region")
	_, err := render(t, values)
	require.ErrorContains(t, err, "aws:region: not set")
}
