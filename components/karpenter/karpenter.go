// Package karpenter is the Pulumi component that installs Karpenter on an EKS cluster: its IAM roles and
// policies, Pod Identity association, node access entry, interruption queue and rules, and Helm releases.
package karpenter

import (
	"encoding/json"
	"errors"
	"fmt"
	"path"
	"regexp"
	"slices"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/cloudwatch"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/eks"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/iam"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/sqs"
	corev1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/core/v1"
	metav1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/meta/v1"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"k8s.io/apimachinery/pkg/api/resource"

	"github.com/karpenter-savings/karpenter-savings/internal/program/iampolicy"
	"github.com/karpenter-savings/karpenter-savings/internal/program/karpenteriam"
	"github.com/karpenter-savings/karpenter-savings/internal/program/pulumik8s"
)

// The OCI charts of the controller and of its CRDs; both are installed at the same version.
const (
	Chart    = "oci://public.ecr.aws/karpenter/karpenter"
	CRDChart = "oci://public.ecr.aws/karpenter/karpenter-crd"
)

// Helm release names; the chart derives its Deployment, ServiceAccount and PDB names from them.
const (
	ReleaseName    = "karpenter"
	CRDReleaseName = "karpenter-crd"
)

// AccessEntryType lets the node role's instances join the cluster as Linux nodes.
const AccessEntryType = "EC2_LINUX"

// Defaults of the optional Args fields.
const (
	DefaultNamespace        = "kube-system"
	DefaultServiceAccount   = "karpenter"
	DefaultControllerCPU    = "1"
	DefaultControllerMemory = "1Gi"
	DefaultReplicas         = 2
)

// Args configures Karpenter.
type Args struct {
	// Scope is the partition, region, account and cluster name the IAM documents are scoped to. Required.
	// Scope.ClusterName must be the name ClusterName resolves to.
	Scope karpenteriam.Scope
	// ClusterName is the EKS cluster's name output; it carries the dependency on the cluster. Required.
	ClusterName pulumi.StringInput
	// Version is the chart version of both charts, without a "v", e.g. "1.14.4". Required.
	Version string
	// Namespace of the controller release and its service account (the CRD release stays in CRDNamespace). Optional;
	// default "kube-system".
	Namespace string
	// ServiceAccount is the controller's service account. Optional; default "karpenter".
	ServiceAccount string
	// ControllerCPU is the controller's CPU request and limit. Optional; default "1".
	ControllerCPU string
	// ControllerMemory is the controller's memory request and limit. Optional; default "1Gi".
	ControllerMemory string
	// Replicas of the controller. Optional; default 2.
	Replicas int
	// CriticalNodeSelector are the labels of the critical-addons node group the controller runs on,
	// e.g. {"karpenter-savings/node-group": "critical-addons"}: a label that stays when the group is replaced, unlike
	// eks.amazonaws.com/nodegroup, which carries its name. Required.
	CriticalNodeSelector map[string]string
	// Tags are applied to every taggable AWS resource. Optional.
	Tags map[string]string
	// KubernetesProvider is the provider for the cluster. Required.
	KubernetesProvider pulumi.ProviderResource
	// DependsOn are resources the controller needs running first, e.g. the node group and the Pod
	// Identity agent add-on. Optional.
	DependsOn []pulumi.Resource
	// SpotRoleExists says the account already has the EC2 Spot service-linked role (AWSServiceRoleForEC2Spot),
	// as an iam.getRoles lookup found; the component then imports it instead of creating it. Optional; default
	// false (create it).
	SpotRoleExists bool
}

// Karpenter is the installed controller and everything it needs from AWS.
type Karpenter struct {
	pulumi.ResourceState

	ControllerRoleArn pulumi.StringOutput // role the controller assumes through Pod Identity.
	NodeRoleArn       pulumi.StringOutput // role of the nodes Karpenter launches.
	NodeRoleName      pulumi.StringOutput // the node role's name, for EC2NodeClass.spec.role.
	QueueName         pulumi.StringOutput // the interruption queue's name.
	Version           pulumi.StringOutput // the installed chart version.
	// Release is the controller's Helm release. NodePools must depend on it (or on the whole component, as the
	// stack does, which also keeps the IAM and the queue), so that a destroy deletes the pools, and Karpenter
	// drains their nodes, before the controller goes.
	Release *pulumik8s.Release
}

// maxRoleNameLength is IAM's limit on role names; the controller role's is the longest derived name.
const maxRoleNameLength = 64

var chartVersion = regexp.MustCompile(`^[0-9]+\.[0-9]+\.[0-9]+(-[0-9A-Za-z.-]+)?$`)

// withDefaults validates args and returns a copy with the optional fields filled in.
func (a *Args) withDefaults() (Args, error) {
	if a == nil {
		return Args{}, errors.New("karpenter: args are required")
	}
	out := *a
	setDefault(&out.Namespace, DefaultNamespace)
	setDefault(&out.ServiceAccount, DefaultServiceAccount)
	setDefault(&out.ControllerCPU, DefaultControllerCPU)
	setDefault(&out.ControllerMemory, DefaultControllerMemory)
	if out.Replicas == 0 {
		out.Replicas = DefaultReplicas
	}

	var errs []error
	for _, f := range out.Scope.Missing() {
		errs = append(errs, fmt.Errorf("karpenter: Args.Scope.%s is required", f))
	}
	if n := len(out.Scope.ControllerRoleName()); n > maxRoleNameLength {
		errs = append(errs, fmt.Errorf("karpenter: Args.Scope.ClusterName: %q makes role %s %d characters long, IAM allows %d",
			out.Scope.ClusterName, out.Scope.ControllerRoleName(), n, maxRoleNameLength))
	}
	if out.ClusterName == nil {
		errs = append(errs, errors.New("karpenter: Args.ClusterName is required"))
	}
	if !chartVersion.MatchString(out.Version) {
		errs = append(errs, fmt.Errorf("karpenter: Args.Version: %q is not a chart version such as \"1.14.4\"", out.Version))
	}
	for _, q := range []struct{ field, value string }{
		{"ControllerCPU", out.ControllerCPU},
		{"ControllerMemory", out.ControllerMemory},
	} {
		if _, err := resource.ParseQuantity(q.value); err != nil {
			errs = append(errs, fmt.Errorf("karpenter: Args.%s: %q: %w", q.field, q.value, err))
		}
	}
	if out.Replicas < 0 {
		errs = append(errs, fmt.Errorf("karpenter: Args.Replicas: %d, want at least 1", out.Replicas))
	}
	if len(out.CriticalNodeSelector) == 0 {
		errs = append(errs, errors.New("karpenter: Args.CriticalNodeSelector is required: the controller must not run on nodes it launches"))
	}
	for k := range out.CriticalNodeSelector {
		if k == "" {
			errs = append(errs, errors.New("karpenter: Args.CriticalNodeSelector: empty label key"))
		}
	}
	if out.KubernetesProvider == nil {
		errs = append(errs, errors.New("karpenter: Args.KubernetesProvider is required"))
	}
	return out, errors.Join(errs...)
}

func setDefault(field *string, value string) {
	if *field == "" {
		*field = value
	}
}

// New creates Karpenter's AWS prerequisites and installs its CRD and controller charts.
func New(ctx *pulumi.Context, name string, args *Args, opts ...pulumi.ResourceOption) (*Karpenter, error) {
	a, err := args.withDefaults()
	if err != nil {
		return nil, err
	}
	c := &Karpenter{}
	if err := ctx.RegisterComponentResource("karpenter-savings:index:Karpenter", name, c, opts...); err != nil {
		return nil, fmt.Errorf("karpenter: register %q: %w", name, err)
	}
	b := builder{ctx: ctx, name: name, args: a, parent: pulumi.Parent(c)}
	if len(a.Tags) > 0 {
		b.tags = pulumi.ToStringMap(a.Tags)
	}

	controllerRole, controllerDeps, err := b.controller()
	if err != nil {
		return nil, fmt.Errorf("karpenter: %w", err)
	}
	nodeRole, nodeDeps, err := b.node()
	if err != nil {
		return nil, fmt.Errorf("karpenter: %w", err)
	}
	queue, queueDeps, err := b.interruption()
	if err != nil {
		return nil, fmt.Errorf("karpenter: %w", err)
	}
	spotRole, err := b.spotRole()
	if err != nil {
		return nil, fmt.Errorf("karpenter: %w", err)
	}
	release, err := b.releases(queue.Name, slices.Concat(controllerDeps, nodeDeps, queueDeps, []pulumi.Resource{spotRole}, a.DependsOn))
	if err != nil {
		return nil, fmt.Errorf("karpenter: %w", err)
	}

	c.ControllerRoleArn = controllerRole.Arn
	c.NodeRoleArn = nodeRole.Arn
	c.NodeRoleName = nodeRole.Name
	c.QueueName = queue.Name
	c.Version = release.Version.Elem()
	c.Release = release
	if err := ctx.RegisterResourceOutputs(c, pulumi.Map{
		"controllerRoleArn": c.ControllerRoleArn,
		"nodeRoleArn":       c.NodeRoleArn,
		"nodeRoleName":      c.NodeRoleName,
		"queueName":         c.QueueName,
		"version":           c.Version,
	}); err != nil {
		return nil, fmt.Errorf("karpenter: register outputs of %q: %w", name, err)
	}
	return c, nil
}

// builder creates the component's children; every method returns what the controller release must wait for.
type builder struct {
	ctx    *pulumi.Context
	name   string
	args   Args
	parent pulumi.ResourceOption
	tags   pulumi.StringMapInput
}

func (b builder) child(suffix string) string { return b.name + "-" + suffix }

func documentJSON(d iampolicy.Document) (pulumi.String, error) {
	s, err := d.JSON()
	return pulumi.String(s), err
}

// controller creates the controller role, its six policies and the Pod Identity association.
func (b builder) controller() (*iam.Role, []pulumi.Resource, error) {
	scope := b.args.Scope
	trust, err := documentJSON(karpenteriam.ControllerTrustPolicy())
	if err != nil {
		return nil, nil, fmt.Errorf("controller trust policy: %w", err)
	}
	role, err := iam.NewRole(b.ctx, b.child("controller-role"), &iam.RoleArgs{
		Name:             pulumi.String(scope.ControllerRoleName()),
		Path:             pulumi.String("/"),
		AssumeRolePolicy: trust,
		Tags:             b.tags,
	}, b.parent)
	if err != nil {
		return nil, nil, fmt.Errorf("controller role %s: %w", scope.ControllerRoleName(), err)
	}

	var deps []pulumi.Resource
	for _, p := range karpenteriam.ControllerPolicies(scope) {
		doc, err := documentJSON(p.Document)
		if err != nil {
			return nil, nil, fmt.Errorf("policy document %s: %w", p.Name, err)
		}
		policy, err := iam.NewPolicy(b.ctx, b.child("controller-"+p.ID+"-policy"), &iam.PolicyArgs{
			Name:   pulumi.String(p.Name),
			Path:   pulumi.String("/"),
			Policy: doc,
			Tags:   b.tags,
		}, b.parent)
		if err != nil {
			return nil, nil, fmt.Errorf("policy %s: %w", p.Name, err)
		}
		attachment, err := iam.NewRolePolicyAttachment(b.ctx, b.child("controller-"+p.ID+"-attachment"), &iam.RolePolicyAttachmentArgs{
			Role:      role.Name,
			PolicyArn: policy.Arn,
		}, b.parent)
		if err != nil {
			return nil, nil, fmt.Errorf("attach policy %s: %w", p.Name, err)
		}
		deps = append(deps, attachment)
	}

	association, err := eks.NewPodIdentityAssociation(b.ctx, b.child("pod-identity"), &eks.PodIdentityAssociationArgs{
		ClusterName:    b.args.ClusterName,
		Namespace:      pulumi.String(b.args.Namespace),
		ServiceAccount: pulumi.String(b.args.ServiceAccount),
		RoleArn:        role.Arn,
		Tags:           b.tags,
	}, b.parent)
	if err != nil {
		return nil, nil, fmt.Errorf("pod identity association: %w", err)
	}
	return role, append(deps, association), nil
}

// node creates the node role, its managed policy attachments and the access entry that lets nodes join.
func (b builder) node() (*iam.Role, []pulumi.Resource, error) {
	scope := b.args.Scope
	trust, err := documentJSON(karpenteriam.NodeTrustPolicy(scope))
	if err != nil {
		return nil, nil, fmt.Errorf("node trust policy: %w", err)
	}
	role, err := iam.NewRole(b.ctx, b.child("node-role"), &iam.RoleArgs{
		Name:             pulumi.String(scope.NodeRoleName()),
		Path:             pulumi.String("/"),
		AssumeRolePolicy: trust,
		Tags:             b.tags,
	}, b.parent)
	if err != nil {
		return nil, nil, fmt.Errorf("node role %s: %w", scope.NodeRoleName(), err)
	}

	var deps []pulumi.Resource
	for _, arn := range karpenteriam.NodeManagedPolicyARNs(scope.Partition) {
		attachment, err := iam.NewRolePolicyAttachment(b.ctx, b.child("node-role-"+path.Base(arn)), &iam.RolePolicyAttachmentArgs{
			Role:      role.Name,
			PolicyArn: pulumi.String(arn),
		}, b.parent)
		if err != nil {
			return nil, nil, fmt.Errorf("attach %s to the node role: %w", arn, err)
		}
		deps = append(deps, attachment)
	}

	entry, err := eks.NewAccessEntry(b.ctx, b.child("node-access-entry"), &eks.AccessEntryArgs{
		ClusterName:  b.args.ClusterName,
		PrincipalArn: role.Arn,
		Type:         pulumi.String(AccessEntryType),
		Tags:         b.tags,
	}, b.parent)
	if err != nil {
		return nil, nil, fmt.Errorf("node access entry: %w", err)
	}
	return role, append(deps, entry), nil
}

// interruption creates the interruption queue, its policy, and one EventBridge rule and target per event kind.
func (b builder) interruption() (*sqs.Queue, []pulumi.Resource, error) {
	scope := b.args.Scope
	queue, err := sqs.NewQueue(b.ctx, b.child("interruption-queue"), &sqs.QueueArgs{
		Name:                    pulumi.String(scope.QueueName()),
		MessageRetentionSeconds: pulumi.Int(karpenteriam.QueueRetentionSeconds),
		SqsManagedSseEnabled:    pulumi.Bool(true),
		Tags:                    b.tags,
	}, b.parent)
	if err != nil {
		return nil, nil, fmt.Errorf("interruption queue %s: %w", scope.QueueName(), err)
	}
	doc, err := documentJSON(karpenteriam.QueuePolicy(scope))
	if err != nil {
		return nil, nil, fmt.Errorf("interruption queue policy document: %w", err)
	}
	policy, err := sqs.NewQueuePolicy(b.ctx, b.child("interruption-queue-policy"), &sqs.QueuePolicyArgs{
		QueueUrl: queue.Url,
		Policy:   doc,
	}, b.parent)
	if err != nil {
		return nil, nil, fmt.Errorf("interruption queue policy: %w", err)
	}

	deps := []pulumi.Resource{queue, policy}
	for _, r := range karpenteriam.InterruptionRules() {
		pattern, err := json.Marshal(r.EventPattern)
		if err != nil {
			return nil, nil, fmt.Errorf("event pattern of rule %s: %w", r.Name, err)
		}
		rule, err := cloudwatch.NewEventRule(b.ctx, b.child(r.Name), &cloudwatch.EventRuleArgs{
			Name:         pulumi.String(scope.RuleName(r)),
			Description:  pulumi.String(fmt.Sprintf("Karpenter interruption events (%s) for cluster %s", r.Name, scope.ClusterName)),
			EventPattern: pulumi.String(pattern),
			Tags:         b.tags,
		}, b.parent)
		if err != nil {
			return nil, nil, fmt.Errorf("interruption rule %s: %w", r.Name, err)
		}
		target, err := cloudwatch.NewEventTarget(b.ctx, b.child(r.Name+"-target"), &cloudwatch.EventTargetArgs{
			Rule:     rule.Name,
			Arn:      queue.Arn,
			TargetId: pulumi.String(karpenteriam.QueueTargetID),
		}, b.parent)
		if err != nil {
			return nil, nil, fmt.Errorf("interruption rule %s target: %w", r.Name, err)
		}
		deps = append(deps, target)
	}
	return queue, deps, nil
}

// spotRole adopts or creates the account's EC2 Spot service-linked role. It is retained on destroy: it belongs to
// the account, other stacks' spot capacity needs it, and IAM refuses to delete it while spot instances run.
func (b builder) spotRole() (*iam.ServiceLinkedRole, error) {
	opts := []pulumi.ResourceOption{b.parent, pulumi.RetainOnDelete(true)}
	if b.args.SpotRoleExists {
		// The role EC2 created has EC2's description and no tags: take those as they are rather than fail the
		// import on a difference.
		opts = append(opts, pulumi.Import(pulumi.ID(b.args.Scope.SpotServiceLinkedRoleARN())),
			pulumi.IgnoreChanges([]string{"description", "customSuffix", "tags", "tagsAll"}))
	}
	role, err := iam.NewServiceLinkedRole(b.ctx, b.child("spot-service-linked-role"), &iam.ServiceLinkedRoleArgs{
		AwsServiceName: pulumi.String(karpenteriam.SpotServiceName),
	}, opts...)
	if err != nil {
		return nil, fmt.Errorf("spot service-linked role: %w", err)
	}
	return role, nil
}

// CRDNamespace holds the CRD release whatever the controller's namespace. The CRDs are cluster-scoped, so the
// release need not follow the controller; if it did, a change of namespace would replace it create-before-delete,
// and Helm would refuse the new release the CRDs the old one owns (meta.helm.sh/release-namespace).
const CRDNamespace = "kube-system"

// BuiltInNamespaces exist in every cluster; the component creates any other namespace it is given.
var BuiltInNamespaces = []string{"kube-system", "kube-public", "kube-node-lease", "default"}

// CRDHelmValues are the karpenter-crd chart's values: Helm keeps the CRDs when the release is uninstalled or
// replaced, because deleting a CRD deletes every NodePool, EC2NodeClass and NodeClaim, and with them every node.
func CRDHelmValues() map[string]any {
	return map[string]any{
		"additionalAnnotations": map[string]any{"helm.sh/resource-policy": "keep"},
	}
}

// releases installs the CRD chart, then the controller chart once everything in deps exists, in the namespace it
// creates when it is not a built-in one.
func (b builder) releases(queueName pulumi.StringOutput, deps []pulumi.Resource) (*pulumik8s.Release, error) {
	provider := pulumi.Provider(b.args.KubernetesProvider)
	if !slices.Contains(BuiltInNamespaces, b.args.Namespace) {
		ns, err := corev1.NewNamespace(b.ctx, b.child("namespace"), &corev1.NamespaceArgs{
			Metadata: &metav1.ObjectMetaArgs{Name: pulumi.String(b.args.Namespace)},
		}, b.parent, provider)
		if err != nil {
			return nil, fmt.Errorf("karpenter namespace %q: %w", b.args.Namespace, err)
		}
		deps = append(slices.Clone(deps), ns)
	}
	crds, err := pulumik8s.NewRelease(b.ctx, b.child("crd-release"), &pulumik8s.ReleaseArgs{
		Name:      pulumi.String(CRDReleaseName),
		Chart:     pulumi.String(CRDChart),
		Version:   pulumi.String(b.args.Version),
		Namespace: pulumi.String(CRDNamespace),
		Values:    pulumi.ToMap(CRDHelmValues()),
	}, b.parent, provider)
	if err != nil {
		return nil, fmt.Errorf("karpenter CRD release: %w", err)
	}

	a := b.args
	values := pulumi.All(a.ClusterName, queueName).ApplyT(func(in []any) (map[string]any, error) {
		cluster, okCluster := in[0].(string)
		queue, okQueue := in[1].(string)
		if !okCluster || !okQueue {
			return nil, fmt.Errorf("cluster and queue names: want strings, got %T and %T", in[0], in[1])
		}
		return HelmValues(ReleaseValues{
			ClusterName:          cluster,
			InterruptionQueue:    queue,
			ServiceAccount:       a.ServiceAccount,
			ControllerCPU:        a.ControllerCPU,
			ControllerMemory:     a.ControllerMemory,
			Replicas:             a.Replicas,
			CriticalNodeSelector: a.CriticalNodeSelector,
		}), nil
	}).(pulumi.MapOutput)

	release, err := pulumik8s.NewRelease(b.ctx, b.child("release"), &pulumik8s.ReleaseArgs{
		Name:      pulumi.String(ReleaseName),
		Chart:     pulumi.String(Chart),
		Version:   pulumi.String(a.Version),
		Namespace: pulumi.String(a.Namespace),
		// The CRD release owns the CRDs and upgrades them; the controller chart's crds/ would only install.
		SkipCrds: pulumi.Bool(true),
		Values:   values,
	}, b.parent, provider, pulumi.DependsOn(append(slices.Clone(deps), crds)),
		// A new namespace replaces the release. Its cluster-scoped RBAC carries the release's name, so Helm would refuse
		// a new release while the old one owns it: the old one goes first, and the controller is down until the new
		// one's pods are ready. Its dependents (the NodePools) depend on it through dependsOn only, and the engine
		// deletes no such dependent with it (pulumi v3.274.1, step_generator.go, calculateDependentReplacements).
		pulumi.DeleteBeforeReplace(true))
	if err != nil {
		return nil, fmt.Errorf("karpenter release: %w", err)
	}
	return release, nil
}
