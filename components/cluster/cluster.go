// Package cluster declares the EKS control plane (pulumi-eks), its managed add-ons, the small managed node group
// that runs Karpenter and the cluster's critical add-ons, and a Kubernetes provider for everything in-cluster.
package cluster

import (
	"encoding/json"
	"errors"
	"fmt"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/ec2"
	awseks "github.com/pulumi/pulumi-aws/sdk/v6/go/aws/eks"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/iam"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/kms"
	"github.com/pulumi/pulumi-eks/sdk/v2/go/eks"
	"github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/karpenter-savings/karpenter-savings/internal/program/awstags"
	"github.com/karpenter-savings/karpenter-savings/internal/program/iampolicy"
	"github.com/karpenter-savings/karpenter-savings/internal/program/karpenteriam"
	"github.com/karpenter-savings/karpenter-savings/internal/program/principal"
)

// CriticalAddonsTaint keeps everything but critical add-ons (and Karpenter) off the managed node group.
const CriticalAddonsTaint = "CriticalAddonsOnly"

// NodeGroupNamePrefix starts the managed node group's name; AWS appends 26 characters. A prefix, not a fixed name:
// a change of instance types or capacity type replaces the group, and only a new name lets the new group exist
// before the old one goes (with a fixed name, the replacement is delete-before-create and the controller, pinned to
// the group, is down for the whole swap).
const NodeGroupNamePrefix = "critical-addons-"

// NodeGroupLabel and NodeGroupLabelValue are the Kubernetes label every node of the managed node group carries, set
// by the stack: Karpenter's controller selects its nodes by it. Unlike EKS's eks.amazonaws.com/nodegroup, which
// carries the group's name, it does not change when the group is replaced.
const (
	NodeGroupLabel      = "karpenter-savings/node-group"
	NodeGroupLabelValue = "critical-addons"
)

// SecretsKeyDeletionWindowDays is the longest window KMS allows: once the key is gone, every Kubernetes secret the
// cluster stored is unreadable for good, so a scheduled deletion gets the most time to be noticed and cancelled.
const SecretsKeyDeletionWindowDays = 30

// SecretsKeyAlias is the KMS alias of the key that encrypts the cluster's Kubernetes secrets: a fixed name, so a
// leftover from an earlier stack collides with it (cmd/preflight checks).
func SecretsKeyAlias(clusterName string) string { return "alias/" + clusterName + "-eks-secrets" }

// LogTypes are the control-plane log streams sent to CloudWatch.
var LogTypes = []string{"api", "audit", "authenticator", "controllerManager", "scheduler"}

// Args configures a Cluster.
type Args struct {
	// Name is the EKS cluster name. Required.
	Name string
	// Version is the Kubernetes version, e.g. "1.35". Required.
	Version string
	// Partition is the AWS partition ("aws", "aws-cn", ...) for managed policy ARNs. Required.
	Partition string
	// VpcID is the cluster's VPC. Required.
	VpcID pulumi.StringInput
	// PublicSubnetIDs hold internet-facing load balancers. Required.
	PublicSubnetIDs pulumi.StringArrayInput
	// PrivateSubnetIDs hold the nodes. Required.
	PrivateSubnetIDs pulumi.StringArrayInput
	// DiscoveryTagKey is set to Name on the cluster and its security group for Karpenter's selectors. Required.
	DiscoveryTagKey string
	// PublicAccessCidrs limit the public API endpoint. Optional; default EKS's 0.0.0.0/0.
	PublicAccessCidrs []string
	// AdminPrincipalArns get access entries with the AmazonEKSClusterAdminPolicy access policy, cluster-wide.
	// Optional; the identity that creates the cluster is an admin either way.
	AdminPrincipalArns []string
	// AdminAccessEntryTags go on each admin access entry beside Tags, and win over them: the stack marks its own
	// entries with them, to tell them from entries made outside it (config.AccessEntryTag). Optional.
	AdminAccessEntryTags map[string]string
	// NodeGroup sizes the critical-add-ons managed node group. Required.
	NodeGroup NodeGroupArgs
	// Tags go on every taggable resource. Optional.
	Tags map[string]string
}

// NodeGroupArgs configures the critical-add-ons managed node group (AL2023 arm64).
type NodeGroupArgs struct {
	// InstanceTypes are arm64 (Graviton) types. Required.
	InstanceTypes []string
	// CapacityType is SPOT or ON_DEMAND. Required.
	CapacityType string
	// MinSize, MaxSize and DesiredSize scale the group. Required; 1 <= min <= desired <= max.
	MinSize, MaxSize, DesiredSize int
}

// Cluster is the EKS cluster component.
type Cluster struct {
	pulumi.ResourceState

	// Name is the cluster's name, known once the control plane exists (so consumers wait for it).
	Name pulumi.StringOutput
	// Endpoint is the Kubernetes API endpoint.
	Endpoint pulumi.StringOutput
	// Kubeconfig is the kubeconfig JSON, a secret.
	Kubeconfig pulumi.StringOutput
	// SecurityGroupID is the EKS-created cluster security group shared by control plane and nodes.
	SecurityGroupID pulumi.StringOutput
	// NodeGroupName is the critical-add-ons managed node group's name.
	NodeGroupName pulumi.StringOutput
	// Provider deploys in-cluster resources.
	Provider *kubernetes.Provider
	// Ready are the resources in-cluster workloads must wait for: the node group and the add-ons.
	Ready []pulumi.Resource
}

func (a *Args) validate() error {
	var errs []error
	for _, f := range []struct {
		field string
		unset bool
	}{
		{"Name", a.Name == ""},
		{"Version", a.Version == ""},
		{"Partition", a.Partition == ""},
		{"VpcID", a.VpcID == nil},
		{"PublicSubnetIDs", a.PublicSubnetIDs == nil},
		{"PrivateSubnetIDs", a.PrivateSubnetIDs == nil},
		{"DiscoveryTagKey", a.DiscoveryTagKey == ""},
		{"NodeGroup.InstanceTypes", len(a.NodeGroup.InstanceTypes) == 0},
	} {
		if f.unset {
			errs = append(errs, fmt.Errorf("cluster: Args.%s is required", f.field))
		}
	}
	if a.Version != "" {
		if _, err := AddonVersions(a.Version); err != nil {
			errs = append(errs, fmt.Errorf("cluster: Args.Version: %w", err))
		}
	}
	ng := a.NodeGroup
	if ng.MinSize < 1 || ng.MinSize > ng.DesiredSize || ng.DesiredSize > ng.MaxSize {
		errs = append(errs, fmt.Errorf("cluster: Args.NodeGroup: sizes must satisfy 1 <= min <= desired <= max, got %d/%d/%d", ng.MinSize, ng.DesiredSize, ng.MaxSize))
	}
	return errors.Join(errs...)
}

// VpcCniConfiguration is the vpc-cni add-on's configuration, exactly as the lab sets it: prefix delegation for
// pod density, pod ENIs (security groups for pods), and network policy enforcement with event logs.
func VpcCniConfiguration() map[string]any {
	return map[string]any{
		"env": map[string]any{
			"ENABLE_PREFIX_DELEGATION":          "true",
			"ENABLE_POD_ENI":                    "true",
			"POD_SECURITY_GROUP_ENFORCING_MODE": "standard",
		},
		"enableNetworkPolicy": "true",
		"nodeAgent": map[string]any{
			"enablePolicyEventLogs": "true",
		},
	}
}

// New declares the cluster, its add-ons, the critical-add-ons node group and a Kubernetes provider.
func New(ctx *pulumi.Context, name string, args *Args, opts ...pulumi.ResourceOption) (*Cluster, error) {
	if args == nil {
		return nil, errors.New("cluster: args are required")
	}
	if err := args.validate(); err != nil {
		return nil, err
	}
	c := &Cluster{}
	if err := ctx.RegisterComponentResource("karpenter-savings:index:Cluster", name, c, opts...); err != nil {
		return nil, fmt.Errorf("cluster: register %q: %w", name, err)
	}
	parent := pulumi.Parent(c)
	tags := pulumi.StringMap{}
	for k, v := range args.Tags {
		tags[k] = pulumi.String(v)
	}

	// EKS already encrypts API data with an AWS-owned key; a customer-managed key adds rotation, revocation and a
	// CloudTrail record of every decrypt of the cluster's secrets.
	secretsKey, err := kms.NewKey(ctx, name+"-secrets-key", &kms.KeyArgs{
		Description:          pulumi.String("Envelope encryption of Kubernetes secrets of EKS cluster " + args.Name),
		EnableKeyRotation:    pulumi.Bool(true),
		DeletionWindowInDays: pulumi.Int(SecretsKeyDeletionWindowDays),
		Tags:                 tags,
	}, parent)
	if err != nil {
		return nil, fmt.Errorf("cluster: secrets KMS key %s: %w", name+"-secrets-key", err)
	}
	if _, err := kms.NewAlias(ctx, name+"-secrets-key-alias", &kms.AliasArgs{
		Name:        pulumi.String(SecretsKeyAlias(args.Name)),
		TargetKeyId: secretsKey.KeyId,
	}, parent); err != nil {
		return nil, fmt.Errorf("cluster: secrets KMS key alias %s: %w", SecretsKeyAlias(args.Name), err)
	}

	clusterRole, clusterRoleAttachments, err := newRole(ctx, name+"-cluster-role", "Control plane of EKS cluster "+args.Name,
		serviceTrust("eks.amazonaws.com"), args.Partition, ClusterRolePolicies, tags, parent)
	if err != nil {
		return nil, fmt.Errorf("cluster: control plane role: %w", err)
	}

	accessEntries, err := adminAccessEntries(args.Partition, args.AdminPrincipalArns, args.AdminAccessEntryTags)
	if err != nil {
		return nil, fmt.Errorf("cluster: Args.AdminPrincipalArns: %w", err)
	}
	skipDefaultNodeGroup, useDefaultVpcCni := true, true
	// The lab's mode: access entries, with the aws-auth ConfigMap still honoured for tools that edit it.
	authenticationMode := eks.AuthenticationMode("API_AND_CONFIG_MAP")
	eksCluster, err := eks.NewCluster(ctx, name+"-eks", &eks.ClusterArgs{
		Name:                   pulumi.String(args.Name),
		Version:                pulumi.String(args.Version),
		VpcId:                  args.VpcID,
		ServiceRole:            clusterRole,
		AuthenticationMode:     &authenticationMode,
		PublicSubnetIds:        args.PublicSubnetIDs,
		PrivateSubnetIds:       args.PrivateSubnetIDs,
		SkipDefaultNodeGroup:   &skipDefaultNodeGroup,
		UseDefaultVpcCni:       &useDefaultVpcCni,  // EKS's own vpc-cni, managed below as an add-on: no kubectl at `pulumi up`
		CreateOidcProvider:     pulumi.Bool(false), // EKS Pod Identity replaces IRSA
		EnabledClusterLogTypes: pulumi.ToStringArray(LogTypes),
		EncryptionConfigKeyArn: secretsKey.Arn,
		EndpointPrivateAccess:  pulumi.Bool(true),
		EndpointPublicAccess:   pulumi.Bool(true),
		PublicAccessCidrs:      publicAccessCidrs(args.PublicAccessCidrs),
		AccessEntries:          accessEntries,
		// Empty, not nil (nil is sent as absent): pulumi-eks then creates no instance role of its own, which no node
		// uses (the node group and Karpenter's nodes have theirs) and whose auto-name, <name>-eks-instanceRole-role
		// plus 8 characters, breaks IAM's 64 for cluster names of 35 characters and more (pulumi-eks v2.8.1,
		// nodejs/eks/cluster.ts createCore).
		InstanceRoles: iam.RoleArray{},
		ClusterTags:   pulumi.StringMap{args.DiscoveryTagKey: pulumi.String(args.Name)},
		Tags:          tags,
	}, parent, pulumi.DependsOn(clusterRoleAttachments),
		// pulumi-eks passes Tags to most of what it creates, not to every resource (its node access entry gets none);
		// the engine runs this on each of them.
		pulumi.Transforms([]pulumi.ResourceTransform{awstags.Transform(args.Tags)}))
	if err != nil {
		return nil, fmt.Errorf("cluster: EKS cluster %s (%s): %w", args.Name, name+"-eks", err)
	}
	// The name as an output of the control plane, so that every consumer waits for the cluster to exist.
	c.Name = eksCluster.Core.Endpoint().ApplyT(func(string) string { return args.Name }).(pulumi.StringOutput)
	c.Endpoint = eksCluster.Core.Endpoint()
	c.Kubeconfig = pulumi.ToSecret(eksCluster.KubeconfigJson).(pulumi.StringOutput)

	// Delete-before-replace: when pulumi-kubernetes replaces this provider (its DiffConfig: a kubeconfig unknown at
	// preview, or one whose active cluster changed), the engine replaces everything on it. Created first, the new
	// objects would take the old ones' names on the same cluster, and the old copies, deleted last, would take the
	// live objects with them; worse, the Karpenter release (delete-before-replace itself) would be uninstalled before
	// the old NodePools, whose deletes then wait on NodeClaim finalizers no controller removes. Deleted first, the
	// engine removes every object on it in reverse dependency order, NodePools and EC2NodeClasses while the
	// controller still runs, before it creates them again (pulumi v3.274.1, pkg/resource/deploy/step_generator.go,
	// calculateDependentReplacements: a resource whose provider is replaced delete-first is replaced with it).
	c.Provider, err = kubernetes.NewProvider(ctx, name+"-k8s", &kubernetes.ProviderArgs{
		Kubeconfig:            eksCluster.KubeconfigJson,
		EnableServerSideApply: pulumi.Bool(true),
	}, parent, pulumi.DeleteBeforeReplace(true))
	if err != nil {
		return nil, fmt.Errorf("cluster: Kubernetes provider %s: %w", name+"-k8s", err)
	}

	// Karpenter selects its nodes' security group by the discovery tag: tag the EKS-created cluster security group,
	// the one managed node groups use, so Karpenter's nodes and the critical add-ons can reach each other.
	c.SecurityGroupID = awseks.LookupClusterOutput(ctx, awseks.LookupClusterOutputArgs{Name: c.Name}, pulumi.Parent(c)).
		VpcConfig().ClusterSecurityGroupId()
	if _, err := ec2.NewTag(ctx, name+"-sg-discovery", &ec2.TagArgs{
		ResourceId: c.SecurityGroupID,
		Key:        pulumi.String(args.DiscoveryTagKey),
		Value:      pulumi.String(args.Name),
	}, parent); err != nil {
		return nil, fmt.Errorf("cluster: discovery tag %s on the cluster security group: %w", name+"-sg-discovery", err)
	}

	vpcCniConfig, err := json.Marshal(VpcCniConfiguration())
	if err != nil {
		return nil, fmt.Errorf("cluster: vpc-cni add-on configuration: %w", err)
	}
	versions, err := AddonVersions(args.Version)
	if err != nil {
		return nil, fmt.Errorf("cluster: Args.Version: %w", err)
	}
	// The order of a Kubernetes version bump is the order of these dependencies, since the engine updates a resource
	// only once every resource it depends on is updated: the control plane (pulumi-eks's cluster, whose outputs every
	// add-on waits for), then vpc-cni, kube-proxy and the pod identity agent, then the node group (which depends on
	// them), then CoreDNS (which depends on the node group, because its create only turns healthy once there are
	// nodes to run it). The control plane is named in DependsOn too, not only through ClusterName, so that the edge
	// does not hang on how the name is derived.
	addon := func(addonName string, configuration []byte, after []pulumi.Resource) (*awseks.Addon, error) {
		a := &awseks.AddonArgs{
			ClusterName:              c.Name,
			AddonName:                pulumi.String(addonName),
			AddonVersion:             pulumi.String(versions[addonName]),
			ResolveConflictsOnCreate: pulumi.String("OVERWRITE"),
			ResolveConflictsOnUpdate: pulumi.String("OVERWRITE"),
			Tags:                     tags,
		}
		if configuration != nil {
			a.ConfigurationValues = pulumi.String(string(configuration))
		}
		return awseks.NewAddon(ctx, name+"-"+addonName, a, parent, pulumi.DependsOn(append([]pulumi.Resource{eksCluster}, after...)))
	}
	var nodeReady []pulumi.Resource
	for _, a := range []struct {
		name   string
		config []byte
	}{{AddonVpcCni, vpcCniConfig}, {AddonKubeProxy, nil}, {AddonPodIdentityAgent, nil}} {
		r, err := addon(a.name, a.config, nil)
		if err != nil {
			return nil, fmt.Errorf("cluster: %s add-on: %w", a.name, err)
		}
		nodeReady = append(nodeReady, r)
	}

	nodeGroup, err := newNodeGroup(ctx, name, args, c.Name, tags, append([]pulumi.ResourceOption{parent}, pulumi.DependsOn(nodeReady))...)
	if err != nil {
		return nil, fmt.Errorf("cluster: %w", err)
	}
	c.NodeGroupName = nodeGroup.NodeGroupName
	coredns, err := addon(AddonCoreDNS, nil, []pulumi.Resource{nodeGroup})
	if err != nil {
		return nil, fmt.Errorf("cluster: coredns add-on: %w", err)
	}
	c.Ready = append(nodeReady, nodeGroup, coredns)

	if err := ctx.RegisterResourceOutputs(c, pulumi.Map{
		"name":            c.Name,
		"endpoint":        c.Endpoint,
		"kubeconfig":      c.Kubeconfig,
		"securityGroupId": c.SecurityGroupID,
		"nodeGroupName":   c.NodeGroupName,
	}); err != nil {
		return nil, fmt.Errorf("cluster: register outputs of %q: %w", name, err)
	}
	return c, nil
}

// adminAccessEntries grants each principal cluster-admin through an EKS access entry tagged with tags (pulumi-eks
// v2.8.1 passes an entry's tags to its aws:eks/accessEntry, createAccessEntries in nodejs/eks/authenticationMode.ts,
// and awstags.Transform adds the stack's tags only where a key is missing). pulumi-eks names the resources after the
// map key, so the key is the principal's identity (account, kind, name): removing one principal then leaves the
// others' entries untouched, where a key by list position would replace every entry after it.
func adminAccessEntries(partition string, principals []string, tags map[string]string) (map[string]eks.AccessEntryArgs, error) {
	if len(principals) == 0 {
		return nil, nil
	}
	entries := make(map[string]eks.AccessEntryArgs, len(principals))
	for _, arn := range principals {
		p, err := principal.ParseIAM(arn)
		if err != nil {
			return nil, err
		}
		key := "admin-" + p.Key()
		if _, dup := entries[key]; dup {
			return nil, fmt.Errorf("%q names an identity listed before", arn)
		}
		entry := eks.AccessEntryArgs{
			PrincipalArn: pulumi.String(arn),
			AccessPolicies: map[string]eks.AccessPolicyAssociationInput{
				"cluster-admin": eks.AccessPolicyAssociationArgs{
					PolicyArn:   pulumi.String("arn:" + partition + ":eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy"),
					AccessScope: awseks.AccessPolicyAssociationAccessScopeArgs{Type: pulumi.String("cluster")},
				},
			},
		}
		if len(tags) > 0 {
			entry.Tags = pulumi.ToStringMap(tags)
		}
		entries[key] = entry
	}
	return entries, nil
}

func publicAccessCidrs(cidrs []string) pulumi.StringArrayInput {
	if len(cidrs) == 0 {
		return nil
	}
	return pulumi.ToStringArray(cidrs)
}

// NodeGroupPolicies are the managed policies of the critical-add-ons nodes: EKS worker, CNI, image pulls, and SSM
// Session Manager instead of SSH.
var NodeGroupPolicies = []string{
	"AmazonEKSWorkerNodePolicy",
	"AmazonEKS_CNI_Policy",
	"AmazonEC2ContainerRegistryReadOnly",
	"AmazonSSMManagedInstanceCore",
}

// ClusterRolePolicies are the managed policies of the control plane's role: the cluster policy, and the VPC
// resource controller that creates the trunk and branch network interfaces the lab's ENABLE_POD_ENI (security groups
// for pods) needs; pulumi-eks's own role has only the first.
var ClusterRolePolicies = []string{
	"AmazonEKSClusterPolicy",
	"AmazonEKSVPCResourceController",
}

// newRole declares an IAM role trusted by trust and attaches the AWS-managed policies; it returns the role and the
// attachments, which users of the role must wait for.
func newRole(ctx *pulumi.Context, name, description string, trust iampolicy.Document, partition string, policies []string,
	tags pulumi.StringMap, opts ...pulumi.ResourceOption,
) (*iam.Role, []pulumi.Resource, error) {
	doc, err := trust.JSON()
	if err != nil {
		return nil, nil, fmt.Errorf("trust policy of role %s: %w", name, err)
	}
	role, err := iam.NewRole(ctx, name, &iam.RoleArgs{
		AssumeRolePolicy: pulumi.String(doc),
		Description:      pulumi.String(description),
		Tags:             tags,
	}, opts...)
	if err != nil {
		return nil, nil, fmt.Errorf("IAM role %s: %w", name, err)
	}
	attachments := make([]pulumi.Resource, 0, len(policies))
	for _, policy := range policies {
		a, err := iam.NewRolePolicyAttachment(ctx, name+"-"+policy, &iam.RolePolicyAttachmentArgs{
			Role:      role.Name,
			PolicyArn: pulumi.String(fmt.Sprintf("arn:%s:iam::aws:policy/%s", partition, policy)),
		}, opts...)
		if err != nil {
			return nil, nil, fmt.Errorf("attach %s to role %s: %w", policy, name, err)
		}
		attachments = append(attachments, a)
	}
	return role, attachments, nil
}

// serviceTrust lets an AWS service assume a role.
func serviceTrust(service string) iampolicy.Document {
	return iampolicy.Document{
		Version: iampolicy.PolicyVersion,
		Statement: []iampolicy.Statement{{
			Effect:    iampolicy.Allow,
			Principal: &iampolicy.Principal{Service: iampolicy.Values{service}},
			Action:    iampolicy.Values{"sts:AssumeRole"},
		}},
	}
}

func newNodeGroup(ctx *pulumi.Context, name string, args *Args, clusterName pulumi.StringOutput, tags pulumi.StringMap, opts ...pulumi.ResourceOption) (*awseks.NodeGroup, error) {
	// Managed node group instances assume their role through EC2, like the nodes Karpenter launches.
	role, attachments, err := newRole(ctx, name+"-node-group", "Nodes of the "+NodeGroupLabelValue+" managed node group of "+args.Name,
		karpenteriam.NodeTrustPolicy(karpenteriam.Scope{Partition: args.Partition}), args.Partition, NodeGroupPolicies, tags, opts...)
	if err != nil {
		return nil, fmt.Errorf("managed node group role: %w", err)
	}
	ng := args.NodeGroup
	nodeGroup, err := awseks.NewNodeGroup(ctx, name+"-critical-addons-only", &awseks.NodeGroupArgs{
		ClusterName:         clusterName,
		NodeGroupNamePrefix: pulumi.String(NodeGroupNamePrefix),
		Labels:              pulumi.StringMap{NodeGroupLabel: pulumi.String(NodeGroupLabelValue)},
		Version:             pulumi.String(args.Version),
		NodeRoleArn:         role.Arn,
		SubnetIds:           args.PrivateSubnetIDs,
		AmiType:             pulumi.String("AL2023_ARM_64_STANDARD"),
		CapacityType:        pulumi.String(ng.CapacityType),
		InstanceTypes:       pulumi.ToStringArray(ng.InstanceTypes),
		ScalingConfig: awseks.NodeGroupScalingConfigArgs{
			MinSize:     pulumi.Int(ng.MinSize),
			MaxSize:     pulumi.Int(ng.MaxSize),
			DesiredSize: pulumi.Int(ng.DesiredSize),
		},
		UpdateConfig: awseks.NodeGroupUpdateConfigArgs{MaxUnavailable: pulumi.Int(1)},
		Taints: awseks.NodeGroupTaintArray{awseks.NodeGroupTaintArgs{
			Key:    pulumi.String(CriticalAddonsTaint),
			Value:  pulumi.String("true"),
			Effect: pulumi.String("NO_SCHEDULE"),
		}},
		Tags: tags,
	}, append(opts, pulumi.DependsOn(attachments))...)
	if err != nil {
		return nil, fmt.Errorf("managed node group %s: %w", name+"-critical-addons-only", err)
	}
	return nodeGroup, nil
}
