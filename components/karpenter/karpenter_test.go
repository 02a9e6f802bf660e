package karpenter_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/eks"
	"github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/stretchr/testify/require"

	"github.com/karpenter-savings/karpenter-savings/components/karpenter"
	"github.com/karpenter-savings/karpenter-savings/internal/offline/mocks"
	"github.com/karpenter-savings/karpenter-savings/internal/offline/mocks/mockstest"
	"github.com/karpenter-savings/karpenter-savings/internal/program/iampolicy"
	"github.com/karpenter-savings/karpenter-savings/internal/program/karpenteriam"
	"github.com/karpenter-savings/karpenter-savings/internal/program/pulumik8s"
)

const (
	clusterName           = "cluster-with-karpenter"
	criticalNodeGroupKey  = "karpenter-savings/node-group"
	criticalNodeGroupName = "critical-addons"
)

var scope = karpenteriam.Scope{Partition: mocks.Partition, Region: mocks.DefaultRegion, AccountID: mocks.AccountID, ClusterName: clusterName}

var tags = map[string]string{"project": "karpenter-savings", "stack": "dev"}

// deployment is one mocked run of the component: what it declared and its outputs, or the error it failed with.
type deployment struct {
	rec *mocks.Recording
	err error
}

// one is the only recorded resource of token whose logical name is name.
func (d deployment) one(t *testing.T, token, name string) mocks.Resource {
	t.Helper()
	return mockstest.One(t, d.rec, token, name)
}

// output is the component's output name, resolved.
func (d deployment) output(t *testing.T, name string) string {
	t.Helper()
	v, ok := d.rec.Outputs[name].(string)
	require.True(t, ok, "output %s: want a string, got %T", name, d.rec.Outputs[name])
	return v
}

// deploy runs karpenter.New under mocks with valid arguments that edit may change; it adds an EKS add-on
// as the caller's extra dependency.
func deploy(t *testing.T, edit func(*karpenter.Args)) deployment {
	t.Helper()
	var d deployment
	d.rec, d.err = mocks.Run("karpenter-savings", "dev", map[string]string{"aws:region": mocks.DefaultRegion},
		func(ctx *pulumi.Context) (map[string]pulumi.Output, error) {
			provider, err := kubernetes.NewProvider(ctx, "k8s", &kubernetes.ProviderArgs{})
			if err != nil {
				return nil, err
			}
			agent, err := eks.NewAddon(ctx, "pod-identity-agent", &eks.AddonArgs{
				ClusterName: pulumi.String(clusterName),
				AddonName:   pulumi.String("eks-pod-identity-agent"),
			})
			if err != nil {
				return nil, err
			}
			args := &karpenter.Args{
				Scope:                scope,
				ClusterName:          pulumi.String(clusterName),
				Version:              "1.14.4",
				CriticalNodeSelector: map[string]string{criticalNodeGroupKey: criticalNodeGroupName},
				Tags:                 tags,
				KubernetesProvider:   provider,
				DependsOn:            []pulumi.Resource{agent},
			}
			if edit != nil {
				edit(args)
			}
			k, err := karpenter.New(ctx, "karpenter", args)
			if err != nil {
				return nil, err
			}
			return map[string]pulumi.Output{
				"controllerRoleArn": k.ControllerRoleArn,
				"nodeRoleArn":       k.NodeRoleArn,
				"nodeRoleName":      k.NodeRoleName,
				"queueName":         k.QueueName,
				"version":           k.Version,
			}, nil
		})
	return d
}

// deployOK is deploy with the default arguments, which must succeed.
func deployOK(t *testing.T) deployment {
	t.Helper()
	d := deploy(t, nil)
	require.NoError(t, d.err, "deploy with valid args")
	return d
}

func decodeDocument(t *testing.T, raw any) iampolicy.Document {
	t.Helper()
	s, ok := raw.(string)
	require.True(t, ok, "policy document: want a JSON string, got %T", raw)
	var d iampolicy.Document
	require.NoError(t, json.Unmarshal([]byte(s), &d), "decode policy document %s", s)
	return d
}

// asData turns a Go value into what JSON (and a Pulumi property map) makes of it: float64 numbers,
// []any lists and map[string]any objects.
func asData(t *testing.T, v any) any {
	t.Helper()
	b, err := json.Marshal(v)
	require.NoError(t, err, "marshal %v", v)
	var out any
	require.NoError(t, json.Unmarshal(b, &out), "decode %s", b)
	return out
}

func TestNewRejectsInvalidArgs(t *testing.T) {
	tests := []struct {
		name  string
		edit  func(*karpenter.Args)
		field string
	}{
		{"no scope region", func(a *karpenter.Args) { a.Scope.Region = "" }, "Scope.Region"},
		{"no cluster name", func(a *karpenter.Args) { a.ClusterName = nil }, "ClusterName"},
		{"cluster name too long for IAM", func(a *karpenter.Args) { a.Scope.ClusterName = strings.Repeat("c", 41) }, "Scope.ClusterName"},
		{"no version", func(a *karpenter.Args) { a.Version = "" }, "Version"},
		{"version with a v", func(a *karpenter.Args) { a.Version = "v1.14.4" }, "Version"},
		{"bad CPU", func(a *karpenter.Args) { a.ControllerCPU = "one" }, "ControllerCPU"},
		{"bad memory", func(a *karpenter.Args) { a.ControllerMemory = "1 GB" }, "ControllerMemory"},
		{"negative replicas", func(a *karpenter.Args) { a.Replicas = -1 }, "Replicas"},
		{"no critical node selector", func(a *karpenter.Args) { a.CriticalNodeSelector = nil }, "CriticalNodeSelector"},
		{"empty critical label key", func(a *karpenter.Args) { a.CriticalNodeSelector = map[string]string{"": "x"} }, "CriticalNodeSelector"},
		{"no kubernetes provider", func(a *karpenter.Args) { a.KubernetesProvider = nil }, "KubernetesProvider"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := deploy(t, tt.edit)
			require.Error(t, d.err, "expected an error naming %s", tt.field)
			require.Contains(t, d.err.Error(), tt.field, "error should name the field")
			require.Empty(t, d.rec.ByType(mocks.TypeRole), "no resource should be created from invalid args")
		})
	}
}

func TestNewRejectsNilArgs(t *testing.T) {
	_, err := mocks.RunFunc("karpenter-savings", "dev", func(ctx *pulumi.Context) error {
		_, err := karpenter.New(ctx, "karpenter", nil)
		return err
	})
	require.ErrorContains(t, err, "args are required", "nil args")
}

// The documents are compared with Karpenter's template in internal/program/karpenteriam; this checks that the component
// declares every one of them, named as the template names them.
func TestComponentRegistersTheControllerPolicies(t *testing.T) {
	d := deployOK(t)
	got := map[string]iampolicy.Document{}
	for _, res := range d.rec.ByType(mocks.TypePolicy) {
		in := res.Inputs
		got[in["name"].(string)] = decodeDocument(t, in["policy"])
		require.Equal(t, "/", in["path"], "policy %s path", in["name"])
	}
	want := map[string]iampolicy.Document{}
	for _, p := range karpenteriam.ControllerPolicies(scope) {
		want[p.Name] = p.Document
	}
	require.Equal(t, want, got, "controller policies: expected karpenteriam's (first), got the registered (second)")
}

func TestPassRoleNamesTheNodeRole(t *testing.T) {
	d := deployOK(t)
	nodeRole := d.one(t, mocks.TypeRole, "karpenter-node-role")
	nodeRoleARN := fmt.Sprintf("arn:aws:iam::%s:role/%s", mocks.AccountID, nodeRole.Inputs["name"])

	var resources []iampolicy.Values
	for _, res := range d.rec.ByType(mocks.TypePolicy) {
		for _, st := range decodeDocument(t, res.Inputs["policy"]).Statement {
			for _, a := range st.Action {
				if strings.HasPrefix(a, "iam:Pass") || a == "iam:*" {
					resources = append(resources, st.Resource)
				}
			}
		}
	}
	require.Equal(t, []iampolicy.Values{{nodeRoleARN}}, resources, "iam:PassRole: expected one statement naming the node role only")
}

func TestEveryControllerPolicyIsAttachedToTheControllerRole(t *testing.T) {
	d := deployOK(t)
	controllerRole := d.one(t, mocks.TypeRole, "karpenter-controller-role").Inputs
	var want []string
	for _, res := range d.rec.ByType(mocks.TypePolicy) {
		want = append(want, fmt.Sprintf("arn:aws:iam::%s:policy/%s", mocks.AccountID, res.Inputs["name"]))
	}
	want = append(want, karpenteriam.NodeManagedPolicyARNs("aws")...)

	var got []string
	for _, res := range d.rec.ByType(mocks.TypeRolePolicyAttachment) {
		in := res.Inputs
		got = append(got, in["policyArn"].(string))
		wantRole := controllerRole["name"]
		if strings.HasPrefix(res.Name, "karpenter-node-role-") {
			wantRole = scope.NodeRoleName()
		}
		require.Equal(t, wantRole, in["role"], "attachment %s role", res.Name)
	}
	require.ElementsMatch(t, want, got, "attached policy ARNs: six controller policies and four node policies")
}

func TestRoles(t *testing.T) {
	d := deployOK(t)
	tests := []struct {
		name      string
		logical   string
		roleName  string
		wantTrust iampolicy.Document
	}{
		// Written out, not taken from karpenteriam: EKS Pod Identity needs both actions from pods.eks.amazonaws.com.
		{"controller", "karpenter-controller-role", "KarpenterControllerRole-" + clusterName, iampolicy.Document{
			Version: "2012-10-17",
			Statement: []iampolicy.Statement{{
				Effect:    iampolicy.Allow,
				Principal: &iampolicy.Principal{Service: iampolicy.Values{"pods.eks.amazonaws.com"}},
				Action:    iampolicy.Values{"sts:AssumeRole", "sts:TagSession"},
			}},
		}},
		{"node", "karpenter-node-role", "KarpenterNodeRole-" + clusterName, karpenteriam.NodeTrustPolicy(scope)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := d.one(t, mocks.TypeRole, tt.logical).Inputs
			require.Equal(t, tt.roleName, in["name"], "role name")
			require.Equal(t, tt.wantTrust, decodeDocument(t, in["assumeRolePolicy"]), "trust policy")
		})
	}
}

func TestPodIdentityAssociation(t *testing.T) {
	d := deployOK(t)
	in := d.one(t, mocks.TypePodIdentityAssociation, "karpenter-pod-identity").Inputs
	want := map[string]any{
		"clusterName":    clusterName,
		"namespace":      "kube-system",
		"serviceAccount": "karpenter",
		"roleArn":        fmt.Sprintf("arn:aws:iam::%s:role/KarpenterControllerRole-%s", mocks.AccountID, clusterName),
		"tags":           asData(t, tags),
	}
	require.Equal(t, want, in, "pod identity association inputs")
}

func TestNodeAccessEntry(t *testing.T) {
	d := deployOK(t)
	in := d.one(t, mocks.TypeAccessEntry, "karpenter-node-access-entry").Inputs
	require.Equal(t, "EC2_LINUX", in["type"], "access entry type")
	require.Equal(t, scope.NodeRoleARN(), in["principalArn"], "access entry principal")
	require.Equal(t, clusterName, in["clusterName"], "access entry cluster")
}

func TestInterruptionQueue(t *testing.T) {
	d := deployOK(t)
	queue := d.one(t, mocks.TypeQueue, "karpenter-interruption-queue").Inputs
	require.Equal(t, clusterName, queue["name"], "queue name")
	require.Equal(t, float64(300), queue["messageRetentionSeconds"], "queue retention seconds")
	require.Equal(t, true, queue["sqsManagedSseEnabled"], "queue SSE")

	policy := d.one(t, mocks.TypeQueuePolicy, "karpenter-interruption-queue-policy").Inputs
	require.Equal(t, fmt.Sprintf("https://sqs.us-east-1.amazonaws.com/%s/%s", mocks.AccountID, clusterName), policy["queueUrl"], "queue policy target")
	require.Equal(t, karpenteriam.QueuePolicy(scope), decodeDocument(t, policy["policy"]), "queue policy document")
}

func TestInterruptionRulesSendToTheQueue(t *testing.T) {
	d := deployOK(t)
	var want, got []any
	for _, r := range karpenteriam.InterruptionRules() {
		want = append(want, asData(t, r.EventPattern))
	}
	ruleNames := map[string]bool{}
	for _, res := range d.rec.ByType(mocks.TypeEventRule) {
		var pattern any
		require.NoError(t, json.Unmarshal([]byte(res.Inputs["eventPattern"].(string)), &pattern), "rule %s pattern", res.Name)
		got = append(got, pattern)
		ruleNames[res.Inputs["name"].(string)] = true
	}
	require.ElementsMatch(t, want, got, "event patterns: expected karpenteriam's (first), got the registered (second)")

	targets := d.rec.ByType(mocks.TypeEventTarget)
	require.Len(t, targets, len(want), "one target per rule")
	targeted := map[string]bool{}
	for _, res := range targets {
		in := res.Inputs
		require.Equal(t, scope.QueueARN(), in["arn"], "target %s ARN", res.Name)
		require.Equal(t, "KarpenterInterruptionQueueTarget", in["targetId"], "target %s id", res.Name)
		targeted[in["rule"].(string)] = true
	}
	require.Equal(t, ruleNames, targeted, "every rule has a target")
}

func TestTagsOnEveryTaggableResource(t *testing.T) {
	d := deployOK(t)
	want := asData(t, tags)
	for _, typ := range []string{mocks.TypeRole, mocks.TypePolicy, mocks.TypePodIdentityAssociation, mocks.TypeAccessEntry, mocks.TypeQueue, mocks.TypeEventRule} {
		resources := d.rec.ByType(typ)
		require.NotEmpty(t, resources, "no %s registered", typ)
		for _, res := range resources {
			require.Equal(t, want, res.Inputs["tags"], "%s %s tags", typ, res.Name)
		}
	}
}

func TestReleases(t *testing.T) {
	d := deployOK(t)
	tests := []struct {
		logical  string
		name     string
		chart    string
		skipCRDs any
	}{
		{"karpenter-crd-release", "karpenter-crd", "oci://public.ecr.aws/karpenter/karpenter-crd", nil},
		{"karpenter-release", "karpenter", "oci://public.ecr.aws/karpenter/karpenter", true},
	}
	for _, tt := range tests {
		t.Run(tt.logical, func(t *testing.T) {
			res := d.one(t, pulumik8s.ReleaseType, tt.logical)
			in := res.Inputs
			require.Equal(t, tt.name, in["name"], "release name")
			require.Equal(t, tt.chart, in["chart"], "chart")
			require.Equal(t, "1.14.4", in["version"], "chart version")
			require.Equal(t, "kube-system", in["namespace"], "namespace")
			require.Equal(t, tt.skipCRDs, in["skipCrds"], "skipCrds")
			require.Contains(t, res.Provider, "pulumi:providers:kubernetes::k8s", "release provider")
			require.Equal(t, d.one(t, mocks.TypeKarpenterComponent, "karpenter").URN, res.Parent, "release parent")
		})
	}
}

func TestReleaseValues(t *testing.T) {
	d := deployOK(t)
	values, ok := d.one(t, pulumik8s.ReleaseType, "karpenter-release").Inputs["values"].(map[string]any)
	require.True(t, ok, "release values: want a map")
	queueName := d.one(t, mocks.TypeQueue, "karpenter-interruption-queue").Inputs["name"]

	want := asData(t, karpenter.HelmValues(karpenter.ReleaseValues{
		ClusterName:          clusterName,
		InterruptionQueue:    clusterName,
		ServiceAccount:       "karpenter",
		ControllerCPU:        "1",
		ControllerMemory:     "1Gi",
		Replicas:             2,
		CriticalNodeSelector: map[string]string{criticalNodeGroupKey: criticalNodeGroupName},
	}))
	require.Equal(t, want, values, "release values: expected HelmValues with the defaults (first), got (second)")

	at := func(path ...string) any {
		var v any = values
		for _, p := range path {
			m, ok := v.(map[string]any)
			require.True(t, ok, "values at %v: want a map before %q", path, p)
			v = m[p]
		}
		return v
	}
	resources := map[string]any{"cpu": "1", "memory": "1Gi"}
	tests := []struct {
		name string
		path []string
		want any
	}{
		{"interruption queue is the queue's name", []string{"settings", "interruptionQueue"}, queueName},
		{"cluster name", []string{"settings", "clusterName"}, clusterName},
		{"service account", []string{"serviceAccount", "name"}, "karpenter"},
		{"requests", []string{"controller", "resources", "requests"}, resources},
		{"limits equal requests", []string{"controller", "resources", "limits"}, resources},
		{"replicas", []string{"replicas"}, float64(2)},
		{"pod disruption budget", []string{"podDisruptionBudget", "maxUnavailable"}, float64(1)},
		{"tolerates the critical addons taint", []string{"tolerations"}, []any{
			map[string]any{"key": "CriticalAddonsOnly", "operator": "Exists"},
		}},
		{"runs only on critical nodes, never on Karpenter's", []string{
			"affinity", "nodeAffinity", "requiredDuringSchedulingIgnoredDuringExecution", "nodeSelectorTerms",
		}, []any{map[string]any{"matchExpressions": []any{
			map[string]any{"key": criticalNodeGroupKey, "operator": "In", "values": []any{criticalNodeGroupName}},
			map[string]any{"key": "karpenter.sh/nodepool", "operator": "DoesNotExist"},
		}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			require.Equal(t, tt.want, at(tt.path...), "values.%s", strings.Join(tt.path, "."))
		})
	}
}

func TestReleaseWaitsForWhatTheControllerNeeds(t *testing.T) {
	d := deployOK(t)
	release := d.one(t, pulumik8s.ReleaseType, "karpenter-release")
	require.False(t, release.Read, "the release is declared, not read")
	got := map[string]bool{}
	for _, urn := range release.Dependencies {
		got[resource.URN(urn).Name()] = true
	}

	want := []string{"karpenter-crd-release", "pod-identity-agent"}
	for _, typ := range []string{mocks.TypeRolePolicyAttachment, mocks.TypePodIdentityAssociation, mocks.TypeAccessEntry, mocks.TypeQueue, mocks.TypeQueuePolicy, mocks.TypeEventTarget} {
		for _, res := range d.rec.ByType(typ) {
			want = append(want, res.Name)
		}
	}
	require.Len(t, d.rec.ByType(mocks.TypeRolePolicyAttachment), 10, "policy attachments: six controller, four node")
	for _, name := range want {
		require.True(t, got[name], "release dependencies: expected %s among %v", name, got)
	}
}

func TestOutputs(t *testing.T) {
	d := deployOK(t)
	tests := []struct {
		name string
		got  string
		want string
	}{
		{"controller role ARN", d.output(t, "controllerRoleArn"), "arn:aws:iam::123456789012:role/KarpenterControllerRole-cluster-with-karpenter"},
		{"node role ARN", d.output(t, "nodeRoleArn"), "arn:aws:iam::123456789012:role/KarpenterNodeRole-cluster-with-karpenter"},
		{"node role name", d.output(t, "nodeRoleName"), "KarpenterNodeRole-cluster-with-karpenter"},
		{"queue name", d.output(t, "queueName"), clusterName},
		{"version", d.output(t, "version"), "1.14.4"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			require.Equal(t, tt.want, tt.got, "%s: expected %q, got %q", tt.name, tt.want, tt.got)
		})
	}
}

func TestOptionalArgsOverrideDefaults(t *testing.T) {
	d := deploy(t, func(a *karpenter.Args) {
		a.Namespace = "karpenter"
		a.ServiceAccount = "controller"
		a.ControllerCPU = "500m"
		a.ControllerMemory = "512Mi"
		a.Replicas = 3
	})
	require.NoError(t, d.err, "deploy")
	release := d.one(t, pulumik8s.ReleaseType, "karpenter-release").Inputs
	association := d.one(t, mocks.TypePodIdentityAssociation, "karpenter-pod-identity").Inputs
	values := release["values"].(map[string]any)
	tests := []struct {
		name string
		got  any
		want any
	}{
		{"release namespace", release["namespace"], "karpenter"},
		{"association namespace", association["namespace"], "karpenter"},
		{"association service account", association["serviceAccount"], "controller"},
		{"chart service account", values["serviceAccount"].(map[string]any)["name"], "controller"},
		{"replicas", values["replicas"], float64(3)},
		{"resources", values["controller"].(map[string]any)["resources"], map[string]any{
			"requests": map[string]any{"cpu": "500m", "memory": "512Mi"},
			"limits":   map[string]any{"cpu": "500m", "memory": "512Mi"},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			require.Equal(t, tt.want, tt.got, "%s", tt.name)
		})
	}
}

// dependsOnURN reports whether a registered resource depends on the resource with the given logical name and type.
func dependsOnURN(res mocks.Resource, typ, name string) bool {
	for _, urn := range res.Dependencies {
		u := resource.URN(urn)
		if u.Name() == name && string(u.Type()) == typ {
			return true
		}
	}
	return false
}

// Helm fails with "namespace not found" when the release's namespace does not exist; the built-in ones always do.
func TestNamespaceIsCreatedUnlessBuiltIn(t *testing.T) {
	for _, tc := range []struct {
		namespace string
		created   bool
	}{
		{"kube-system", false},
		{"default", false},
		{"karpenter", true},
	} {
		t.Run(tc.namespace, func(t *testing.T) {
			d := deploy(t, func(a *karpenter.Args) { a.Namespace = tc.namespace })
			require.NoError(t, d.err)
			namespaces := d.rec.ByType(mocks.TypeNamespace)
			if !tc.created {
				require.Empty(t, namespaces, "a built-in namespace is not declared")
				return
			}
			require.Len(t, namespaces, 1)
			require.Equal(t, map[string]any{"name": tc.namespace}, namespaces[0].Inputs["metadata"])
			require.Contains(t, namespaces[0].Provider, "pulumi:providers:kubernetes::k8s", "namespace provider")
			require.True(t, dependsOnURN(d.one(t, pulumik8s.ReleaseType, "karpenter-release"), mocks.TypeNamespace, "karpenter-namespace"),
				"the controller release waits for its namespace")
		})
	}
}

// The CRDs are cluster-scoped: their release stays in kube-system whatever the controller's namespace, so moving the
// controller does not replace it, and Helm never meets CRDs owned by another release.
func TestCRDReleaseStaysInKubeSystem(t *testing.T) {
	for _, namespace := range []string{"kube-system", "karpenter"} {
		t.Run(namespace, func(t *testing.T) {
			d := deploy(t, func(a *karpenter.Args) { a.Namespace = namespace })
			require.NoError(t, d.err)
			require.Equal(t, "kube-system", d.one(t, pulumik8s.ReleaseType, "karpenter-crd-release").Inputs["namespace"])
			require.Equal(t, namespace, d.one(t, pulumik8s.ReleaseType, "karpenter-release").Inputs["namespace"])
		})
	}
}

// A new namespace replaces the controller release, whose cluster-scoped RBAC carries its name: Helm would refuse the
// new release while the old one owns it, so the old one is deleted first. The CRD release is never replaced that way:
// deleting it first would uninstall the CRDs' owner (kept by the keep policy) for nothing.
func TestControllerReleaseIsDeletedBeforeItIsReplaced(t *testing.T) {
	d := deployOK(t)
	require.True(t, d.one(t, pulumik8s.ReleaseType, "karpenter-release").DeleteBeforeReplace)
	require.False(t, d.one(t, pulumik8s.ReleaseType, "karpenter-crd-release").DeleteBeforeReplace)
}

// Replacing the karpenter-crd release (a new chart source, a renamed release) uninstalls it; without the keep
// policy Helm would delete the CRDs and Kubernetes every NodePool, NodeClaim and node with them.
func TestCRDReleaseKeepsTheCRDs(t *testing.T) {
	d := deployOK(t)
	values := d.one(t, pulumik8s.ReleaseType, "karpenter-crd-release").Inputs["values"]
	require.Equal(t, map[string]any{"additionalAnnotations": map[string]any{"helm.sh/resource-policy": "keep"}}, values)
	require.Equal(t, asData(t, karpenter.CRDHelmValues()), values)
}

// Without AWSServiceRoleForEC2Spot, Karpenter's spot launches fail and it falls back to on-demand (or launches
// nothing): the component creates the role in an account that lacks it, imports it where it exists, and never
// deletes it.
func TestSpotServiceLinkedRole(t *testing.T) {
	for _, exists := range []bool{false, true} {
		t.Run(fmt.Sprintf("exists=%v", exists), func(t *testing.T) {
			d := deploy(t, func(a *karpenter.Args) { a.SpotRoleExists = exists })
			require.NoError(t, d.err)
			role := d.one(t, mocks.TypeServiceLinkedRole, "karpenter-spot-service-linked-role")
			require.Equal(t, "spot.amazonaws.com", role.Inputs["awsServiceName"])
			require.True(t, role.RetainOnDelete, "the role belongs to the account: retained on destroy")
			if exists {
				require.Equal(t, "arn:aws:iam::123456789012:role/aws-service-role/spot.amazonaws.com/AWSServiceRoleForEC2Spot",
					role.ImportID, "an existing role is imported by its ARN")
				require.Subset(t, role.IgnoreChanges, []string{"description", "tags"}, "EC2's own description and tags are kept")
			} else {
				require.Empty(t, role.ImportID, "an absent role is created")
			}
			require.True(t, dependsOnURN(d.one(t, pulumik8s.ReleaseType, "karpenter-release"), mocks.TypeServiceLinkedRole, "karpenter-spot-service-linked-role"),
				"the controller starts once spot can be used")
		})
	}
}
