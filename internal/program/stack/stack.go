// Package stack is the one Pulumi program: main.go, cmd/render and the tests all run Run.
package stack

import (
	"errors"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/costexplorer"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/ec2"
	awseks "github.com/pulumi/pulumi-aws/sdk/v6/go/aws/eks"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/iam"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/ssm"
	pulumiconfig "github.com/pulumi/pulumi/sdk/v3/go/pulumi/config"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/karpenter-savings/karpenter-savings/components/cluster"
	"github.com/karpenter-savings/karpenter-savings/components/deviceplugin"
	"github.com/karpenter-savings/karpenter-savings/components/karpenter"
	"github.com/karpenter-savings/karpenter-savings/components/network"
	"github.com/karpenter-savings/karpenter-savings/components/nodepools"
	"github.com/karpenter-savings/karpenter-savings/components/sampleapp"
	"github.com/karpenter-savings/karpenter-savings/internal/program/config"
	"github.com/karpenter-savings/karpenter-savings/internal/program/karpenteriam"
	"github.com/karpenter-savings/karpenter-savings/internal/program/poolspec"
	"github.com/karpenter-savings/karpenter-savings/internal/program/principal"
)

// Run is the Pulumi program main.go passes to pulumi.Run: Program, with its outputs exported.
func Run(ctx *pulumi.Context) error {
	outputs, err := Program(ctx)
	if err != nil {
		return err
	}
	for name, out := range outputs {
		ctx.Export(name, out)
	}
	return nil
}

// Program loads and validates the configuration, then declares every component in dependency order and returns
// the stack outputs. A configuration error returns before any resource is declared.
func Program(ctx *pulumi.Context) (map[string]pulumi.Output, error) {
	cfg, err := config.Load(func(key string) (string, error) {
		v, err := pulumiconfig.Try(ctx, key)
		if errors.Is(err, pulumiconfig.ErrMissingVar) {
			return "", config.ErrMissing
		}
		return v, err
	})
	if err != nil {
		return nil, fmt.Errorf("invalid stack configuration:\n%w", err)
	}
	for _, w := range cfg.Warnings(time.Now()) {
		if err := ctx.Log.Warn(w, nil); err != nil {
			return nil, err
		}
	}
	return declare(ctx, cfg)
}

// declare builds the stack from a validated configuration.
func declare(ctx *pulumi.Context, cfg *config.Config) (map[string]pulumi.Output, error) {
	partition, err := aws.GetPartition(ctx, &aws.GetPartitionArgs{})
	if err != nil {
		return nil, fmt.Errorf("looking up the AWS partition: %w", err)
	}
	caller, err := aws.GetCallerIdentity(ctx, &aws.GetCallerIdentityArgs{})
	if err != nil {
		return nil, fmt.Errorf("looking up the AWS account: %w", err)
	}
	account, err := lookupAccount(ctx, cfg, caller.Arn)
	if err != nil {
		return nil, err
	}
	state := "available"
	zones, err := aws.GetAvailabilityZones(ctx, &aws.GetAvailabilityZonesArgs{State: &state})
	if err != nil {
		return nil, fmt.Errorf("listing the availability zones of %s: %w", cfg.Region, err)
	}
	// The cluster admins' access entries: before the cluster exists, the identity about to create it is the one EKS
	// will make an admin; afterwards, the entries EKS holds say who it made one, and whether the identity running
	// this preview would lose its own.
	admins := cfg.CheckCreator(caller.Arn)
	if account.clusterExists {
		admins = errors.Join(cfg.CheckAccessEntries(account.adminEntries, caller.Arn),
			cfg.CheckCallerKeepsAccess(caller.Arn, account.callerEntry))
	}
	var running error
	if account.clusterExists {
		running = cfg.CheckRunningCluster(account.running)
	} else {
		policy, regions, err := lookupKarpenterRegion(ctx, cfg, karpenteriam.Scope{Partition: partition.Partition, AccountID: caller.AccountId, ClusterName: cfg.ClusterName})
		if err != nil {
			return nil, err
		}
		running = cfg.CheckKarpenterRegion(policy, regions)
	}
	if err := errors.Join(cfg.CheckZones(zones.Names), admins, running); err != nil {
		return nil, fmt.Errorf("invalid stack configuration:\n%w", err)
	}
	// The node pools are built before any resource is declared, so a pool configuration the builder refuses stops
	// the preview with nothing half-created. config.Load already refused, by key, every configuration whose objects
	// Karpenter's CRDs would reject (FuzzLoad checks that with the API server's validation code; so does
	// `render --check` on every render): the program does not link that engine.
	amiAlias, gpuAMI, err := resolveAMIs(ctx, cfg)
	if err != nil {
		return nil, err
	}
	pools, err := poolspec.Build(cfg.NodePoolOptions(amiAlias, gpuAMI))
	if err != nil {
		return nil, fmt.Errorf("%s:%s and %s:%s: the node pools they describe would be rejected: %w",
			config.Project, config.KeyNodePools, config.Project, config.KeyTags, err)
	}
	// The add-ons' versions too: the cluster component would refuse a Kubernetes version without them, but only after
	// the network is declared.
	if _, err := cluster.AddonVersions(cfg.KubernetesVersion); err != nil {
		return nil, fmt.Errorf("invalid stack configuration:\n%s:%s: %w", config.Project, config.KeyKubernetesVersion, err)
	}

	net, err := network.New(ctx, cfg.ClusterName+"-network", &network.Args{
		CIDR:              cfg.VpcCidr,
		AvailabilityZones: cfg.AvailabilityZones,
		NATPerZone:        cfg.NatGateways == config.NatPerAZ,
		ClusterName:       cfg.ClusterName,
		DiscoveryTagKey:   cfg.DiscoveryTagKey(),
		Tags:              cfg.Tags,
	})
	if err != nil {
		return nil, err
	}

	eks, err := cluster.New(ctx, cfg.ClusterName, &cluster.Args{
		Name:               cfg.ClusterName,
		Version:            cfg.KubernetesVersion,
		Partition:          partition.Partition,
		VpcID:              net.VpcID,
		PublicSubnetIDs:    net.PublicSubnetIDs,
		PrivateSubnetIDs:   net.PrivateSubnetIDs,
		DiscoveryTagKey:    cfg.DiscoveryTagKey(),
		PublicAccessCidrs:  cfg.EndpointPublicAccessCidrs,
		AdminPrincipalArns: cfg.ClusterAdminPrincipalArns,
		// Always set, whatever `tags` holds: the preview knows the stack's own entries by it.
		AdminAccessEntryTags: cfg.AccessEntryTags(),
		NodeGroup: cluster.NodeGroupArgs{
			InstanceTypes: cfg.NodeGroup.InstanceTypes,
			CapacityType:  cfg.NodeGroup.CapacityType,
			MinSize:       cfg.NodeGroup.MinSize,
			MaxSize:       cfg.NodeGroup.MaxSize,
			DesiredSize:   cfg.NodeGroup.DesiredSize,
		},
		Tags: cfg.Tags,
	})
	if err != nil {
		return nil, err
	}

	// Destroy order is the reverse of these dependencies: the sample app goes first, then the node pools (Karpenter's
	// finalizers drain and terminate the nodes it launched while the controller still runs), then the controller,
	// its IAM and queue, the node group, the cluster and the VPC.
	kp, err := karpenter.New(ctx, cfg.ClusterName+"-karpenter", &karpenter.Args{
		Scope: karpenteriam.Scope{
			Partition:   partition.Partition,
			Region:      cfg.Region,
			AccountID:   caller.AccountId,
			ClusterName: cfg.ClusterName,
		},
		ClusterName:          eks.Name,
		Version:              cfg.Karpenter.Version,
		Namespace:            cfg.Karpenter.Namespace,
		ControllerCPU:        cfg.Karpenter.ControllerCPU,
		ControllerMemory:     cfg.Karpenter.ControllerMemory,
		Replicas:             cfg.Karpenter.Replicas,
		CriticalNodeSelector: map[string]string{cluster.NodeGroupLabel: cluster.NodeGroupLabelValue},
		Tags:                 cfg.Tags,
		KubernetesProvider:   eks.Provider,
		DependsOn:            eks.Ready,
		SpotRoleExists:       account.spotRoleExists,
	})
	if err != nil {
		return nil, err
	}

	// The pools also depend on the private subnets' egress path: Karpenter reaches EC2 through it, and without it
	// could not terminate the nodes its finalizers drain; destroy would strand the instances.
	np, err := nodepools.New(ctx, cfg.ClusterName+"-nodepools", &nodepools.Args{
		Set:      pools,
		Provider: eks.Provider,
		// kp.Release by name too: the SDK expands a dependency on a component to the children it holds at that moment,
		// and a child joins its parent in its registration goroutine (prepareResourceInputs), so the release could be
		// missed; TestDestroyDeletesNodePoolsWhileKarpenterStillRuns checks the edge.
		DependsOn: append([]pulumi.Resource{kp, kp.Release}, net.Egress...),
	})
	if err != nil {
		return nil, err
	}

	if cfg.ActivateCostAllocationTags {
		// np.Resources, not np alone: a dependency on a component reaches only the children it holds at that moment
		// (see kp.Release above).
		if err := activateCostAllocationTags(ctx, cfg.ClusterName, append([]pulumi.Resource{np}, np.Resources...)); err != nil {
			return nil, err
		}
	}

	if cfg.NodePools.GPU.Enabled {
		if _, err := deviceplugin.New(ctx, cfg.ClusterName+"-nvidia-device-plugin", &deviceplugin.Args{
			Version:   cfg.NvidiaDevicePluginVersion,
			Provider:  eks.Provider,
			DependsOn: eks.Ready,
		}); err != nil {
			return nil, err
		}
	}

	outputs := map[string]pulumi.Output{
		"clusterName":                eks.Name,
		"clusterEndpoint":            eks.Endpoint,
		"kubeconfig":                 eks.Kubeconfig,
		"vpcId":                      net.VpcID,
		"publicSubnetIds":            net.PublicSubnetIDs,
		"privateSubnetIds":           net.PrivateSubnetIDs,
		"nodeGroupName":              eks.NodeGroupName,
		"karpenterControllerRoleArn": kp.ControllerRoleArn,
		"karpenterNodeRoleArn":       kp.NodeRoleArn,
		"karpenterQueueName":         kp.QueueName,
		"karpenterVersion":           kp.Version,
		"nodePools":                  np.Names,
	}

	if cfg.SampleApp.Enabled {
		app, err := sampleapp.New(ctx, cfg.ClusterName+"-sampleapp", &sampleapp.Args{
			ManifestURL:          cfg.SampleApp.ManifestURL,
			Kubeconfig:           eks.Kubeconfig,
			DependsOn:            np.Resources,
			DefaultCPURequest:    cfg.SampleApp.CPURequest,
			DefaultMemoryRequest: cfg.SampleApp.MemoryRequest,
		})
		if err != nil {
			return nil, err
		}
		outputs["sampleAppUiAddress"] = app.UIServiceAddress
	}
	return outputs, nil
}

// activateCostAllocationTags activates, in Cost Explorer, the tags Karpenter puts on the instances it launches, so that
// the bill can be grouped by node pool, and the one EKS puts on the managed node group's, so that its share can be
// found. They follow the node pools: a tag can be activated only once a bill has carried it, so the rest of the stack
// is in place when the activation fails for that. They are retained on delete: a cost allocation tag is the payer
// account's, shared by every cluster it pays for, and deactivating it would stop the grouping of the others' bills
// too.
func activateCostAllocationTags(ctx *pulumi.Context, clusterName string, pools []pulumi.Resource) error {
	suffixes := map[string]string{config.CostTagNodePool: "nodepool", config.CostTagCluster: "cluster-name", config.CostTagNodeGroupCluster: "node-group-cluster-name"}
	for _, key := range config.CostAllocationTags {
		name := clusterName + "-cost-allocation-tag-" + suffixes[key]
		if _, err := costexplorer.NewCostAllocationTag(ctx, name, &costexplorer.CostAllocationTagArgs{
			TagKey: pulumi.String(key),
			Status: pulumi.String("Active"),
		}, pulumi.DependsOn(pools), pulumi.RetainOnDelete(true)); err != nil {
			return fmt.Errorf("activating the cost allocation tag %s: %w", key, err)
		}
	}
	return nil
}

// account is what the stack needs to know of the account before it declares anything.
type account struct {
	clusterExists  bool // an EKS cluster of the stack's name exists (this stack's, once deployed)
	spotRoleExists bool // the EC2 Spot service-linked role exists
	// adminEntries are the access entries the existing cluster holds for configured admin principals, by configured
	// ARN; those without one are absent.
	adminEntries map[string]config.AccessEntry
	// running is what EKS says of the existing cluster: its version and its VPC's CIDR.
	running config.RunningCluster
	// callerEntry is the access entry the existing cluster holds for the identity running the preview, when the
	// configuration does not list that identity (when it does, adminEntries has it); nil when there is none.
	callerEntry *config.AccessEntry
}

// lookupAccount reads the account's EKS clusters, its EC2 Spot service-linked role and, when the cluster exists,
// the access entries of the configured cluster admins and of callerARN, the identity running the preview. The first
// two lookups list rather than get, so an absent cluster or role is an answer, not an error.
func lookupAccount(ctx *pulumi.Context, cfg *config.Config, callerARN string) (account, error) {
	clusters, err := awseks.GetClusters(ctx)
	if err != nil {
		return account{}, fmt.Errorf("listing the account's EKS clusters: %w", err)
	}
	pathPrefix, nameRegex := karpenteriam.SpotServiceLinkedRolePath, "^"+karpenteriam.SpotServiceLinkedRoleName+"$"
	roles, err := iam.GetRoles(ctx, &iam.GetRolesArgs{PathPrefix: &pathPrefix, NameRegex: &nameRegex})
	if err != nil {
		return account{}, fmt.Errorf("looking up the EC2 Spot service-linked role %s: %w", karpenteriam.SpotServiceLinkedRoleName, err)
	}
	a := account{
		clusterExists:  slices.Contains(clusters.Names, cfg.ClusterName),
		spotRoleExists: slices.Contains(roles.Names, karpenteriam.SpotServiceLinkedRoleName),
	}
	if !a.clusterExists {
		return a, nil
	}
	if a.running, err = lookupRunningCluster(ctx, cfg.ClusterName); err != nil {
		return account{}, err
	}
	caller, callerErr := principal.Parse(callerARN)
	a.adminEntries = map[string]config.AccessEntry{}
	callerListed := false
	for _, arn := range cfg.ClusterAdminPrincipalArns {
		p, err := principal.ParseIAM(arn)
		if err != nil {
			// config.Load refused it already.
			return account{}, fmt.Errorf("%s:%s: %w", config.Project, config.KeyClusterAdminPrincipals, err)
		}
		callerListed = callerListed || (callerErr == nil && p.Same(caller))
		entry, err := lookupAccessEntry(ctx, cfg.ClusterName, p, caller)
		if err != nil {
			return account{}, fmt.Errorf("looking up the access entry of %s on EKS cluster %s: %w", arn, cfg.ClusterName, err)
		}
		if entry != nil {
			a.adminEntries[arn] = *entry
		}
	}
	// The root user or a federated user has no access entry of its own to lose.
	if callerErr == nil && !callerListed {
		a.callerEntry, err = lookupAccessEntry(ctx, cfg.ClusterName, caller, caller)
		if err != nil {
			return account{}, fmt.Errorf("looking up the access entry of %s, the identity running the preview, on EKS cluster %s: %w",
				callerARN, cfg.ClusterName, err)
		}
	}
	return a, nil
}

// lookupAccessEntry returns the access entry cluster holds for the identity p, or nil when it holds none. EKS holds
// an entry under the principal ARN it was created with, a role's with or without its path, and looks it up by that
// ARN only; so every form p can take is tried (principal.EntryARNs), the ARN with the path taken from IAM when p's
// has none and p is of the caller's account (IAM lists only its own account's principals). internal/ops/preflight
// lists the cluster's entries and compares them as identities instead: the two find the same entry.
func lookupAccessEntry(ctx *pulumi.Context, cluster string, p, caller principal.Principal) (*config.AccessEntry, error) {
	canonical := ""
	if !p.PathKnown() && p.Partition == caller.Partition && p.Account == caller.Account {
		var err error
		if canonical, err = lookupIAMPrincipal(ctx, p); err != nil {
			return nil, err
		}
	}
	for _, arn := range p.EntryARNs(canonical) {
		entry, err := awseks.LookupAccessEntry(ctx, &awseks.LookupAccessEntryArgs{ClusterName: cluster, PrincipalArn: arn})
		if accessEntryNotFound(err, cluster, arn) {
			continue
		}
		if err != nil {
			return nil, err
		}
		tags := maps.Clone(entry.TagsAll)
		if tags == nil {
			tags = map[string]string{}
		}
		maps.Copy(tags, entry.Tags)
		return &config.AccessEntry{PrincipalArn: entry.PrincipalArn, Tags: tags}, nil
	}
	return nil, nil
}

// lookupIAMPrincipal returns the ARN, with its path, of the role or user p names in its account, or "" when IAM has
// none of that name. It lists (iam:ListRoles, iam:ListUsers) rather than gets, so that an absent principal is an
// answer, not an error: the data sources page through the whole list and drop, locally, the names nameRegex does not
// match, and return the ARNs as a set (terraform-provider-aws, internal/service/iam/roles_data_source.go and
// users_data_source.go, dataSourceRolesRead and dataSourceUsersRead), so the one of p's name is picked out.
func lookupIAMPrincipal(ctx *pulumi.Context, p principal.Principal) (string, error) {
	nameRegex := "^" + regexp.QuoteMeta(p.Name) + "$"
	var arns []string
	switch p.Kind {
	case "role":
		roles, err := iam.GetRoles(ctx, &iam.GetRolesArgs{NameRegex: &nameRegex})
		if err != nil {
			return "", fmt.Errorf("looking up the IAM role %s: %w", p.Name, err)
		}
		arns = roles.Arns
	case "user":
		users, err := iam.GetUsers(ctx, &iam.GetUsersArgs{NameRegex: &nameRegex})
		if err != nil {
			return "", fmt.Errorf("looking up the IAM user %s: %w", p.Name, err)
		}
		arns = users.Arns
	}
	for _, arn := range arns {
		if q, err := principal.ParseIAM(arn); err == nil && q.Same(p) {
			return arn, nil
		}
	}
	return "", nil
}

// lookupRunningCluster reads the running cluster's Kubernetes version and its VPC's CIDR, which a configuration may
// not change (config.CheckRunningCluster). The cluster is known to exist (GetClusters listed it), so a failed lookup
// is an error, not an absent cluster.
func lookupRunningCluster(ctx *pulumi.Context, name string) (config.RunningCluster, error) {
	c, err := awseks.LookupCluster(ctx, &awseks.LookupClusterArgs{Name: name})
	if err != nil {
		return config.RunningCluster{}, fmt.Errorf("looking up EKS cluster %s: %w", name, err)
	}
	r := config.RunningCluster{Version: c.Version, VpcID: c.VpcConfig.VpcId}
	vpc, err := ec2.LookupVpc(ctx, &ec2.LookupVpcArgs{Id: &r.VpcID})
	if err != nil {
		return config.RunningCluster{}, fmt.Errorf("looking up VPC %s of EKS cluster %s: %w", r.VpcID, name, err)
	}
	r.VpcCidr = vpc.CidrBlock
	return r, nil
}

// lookupKarpenterRegion returns, when the stack's Karpenter controller role exists, the regions its regional-read
// policy scopes Karpenter to, and that policy's name: with no cluster of the stack's name in the configured region,
// they tell an aws:region changed under a running stack (config.CheckKarpenterRegion). The role is listed first, so
// that its absence, on a first deploy, is an answer and not a failed lookup. A role whose policy cannot be read (an
// interrupted first deploy that created the role and not the policy) fails the preview with the lookup's error, which
// names the policy: deleting the role, or running `pulumi up` in the region it was made from, resolves it.
func lookupKarpenterRegion(ctx *pulumi.Context, cfg *config.Config, scope karpenteriam.Scope) (policy string, regions []string, err error) {
	pathPrefix, nameRegex := "/", "^"+regexp.QuoteMeta(scope.ControllerRoleName())+"$"
	roles, err := iam.GetRoles(ctx, &iam.GetRolesArgs{PathPrefix: &pathPrefix, NameRegex: &nameRegex})
	if err != nil {
		return "", nil, fmt.Errorf("looking up the Karpenter controller role %s: %w", scope.ControllerRoleName(), err)
	}
	if !slices.Contains(roles.Names, scope.ControllerRoleName()) {
		return "", nil, nil
	}
	policy = karpenteriam.RegionalReadPolicyName(scope)
	arn := scope.PolicyARN(policy)
	p, err := iam.LookupPolicy(ctx, &iam.LookupPolicyArgs{Arn: &arn})
	if err != nil {
		return "", nil, fmt.Errorf("%s: role %s exists but EKS cluster %s does not in %s; reading the region its policy %s names: %w",
			config.RegionKey, scope.ControllerRoleName(), cfg.ClusterName, cfg.Region, arn, err)
	}
	regions, err = karpenteriam.RegionsOf(p.Policy)
	if err != nil {
		return "", nil, fmt.Errorf("IAM policy %s: %w", arn, err)
	}
	return policy, regions, nil
}

// accessEntryNotFound reports whether err is the aws:eks/getAccessEntry:getAccessEntry invoke's answer for a
// principal without an access entry on cluster: the invoke has no empty result, it fails. The text is the
// provider's: terraform-provider-aws v5.100.0 (the upstream of pulumi-aws v6.83.x),
// internal/service/eks/access_entry_datasource.go, dataSourceAccessEntryRead, fails with "reading EKS Access Entry
// (%s): %s" of the ID accessEntryCreateResourceID makes ("<cluster>:<principal ARN>") and the error of
// findAccessEntryByTwoPartKey (internal/service/eks/access_entry.go), which turns EKS's ResourceNotFoundException
// into terraform-plugin-sdk/v2's helper/retry.NotFoundError, whose Error() is "couldn't find resource". The engine
// passes the diagnostic on as text only, so it is matched as text, with the cluster and the principal, so that no
// other failure (access denied, throttling) passes for an absent entry.
func accessEntryNotFound(err error, cluster, principalARN string) bool {
	return err != nil && strings.Contains(err.Error(), "reading EKS Access Entry ("+cluster+":"+principalARN+"): couldn't find resource")
}

// resolveAMIs returns the EC2NodeClass alias (al2023@vYYYYMMDD) and the AL2023 NVIDIA AMI id of the same release,
// from the public SSM parameters EKS publishes for the cluster's Kubernetes version.
func resolveAMIs(ctx *pulumi.Context, cfg *config.Config) (alias, gpuAMI string, err error) {
	base := "/aws/service/eks/optimized-ami/" + cfg.KubernetesVersion + "/amazon-linux-2023/"
	release := cfg.NodeAMIVersion
	if release == config.NodeAMIRecommended {
		p, err := ssm.LookupParameter(ctx, &ssm.LookupParameterArgs{Name: base + "x86_64/standard/recommended/release_version"})
		if err != nil {
			return "", "", fmt.Errorf("reading the AL2023 release for Kubernetes %s from SSM: %w", cfg.KubernetesVersion, err)
		}
		release = p.Value
	}
	alias = config.AMIAlias(release)
	if !cfg.NodePools.GPU.Enabled {
		return alias, "", nil
	}
	// The release's own NVIDIA parameter, not nvidia/recommended: both node classes then run one AMI release.
	tag := strings.TrimPrefix(alias, "al2023@")
	gpuParameter := base + "x86_64/nvidia/amazon-eks-node-al2023-x86_64-nvidia-" + cfg.KubernetesVersion + "-" + tag + "/image_id"
	p, err := ssm.LookupParameter(ctx, &ssm.LookupParameterArgs{Name: gpuParameter})
	if err != nil {
		return "", "", fmt.Errorf("reading the AL2023 NVIDIA AMI from SSM (%s): %w", gpuParameter, err)
	}
	return alias, p.Value, nil
}
