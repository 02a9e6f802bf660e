package mocks

// Type tokens of the resources the stack declares, and of the ones pulumi-eks and the Helm charts add in a deep
// render, so that tests and the mocks spell each one once. The Helm Release and the yaml/v2 ConfigFile are
// pulumik8s.ReleaseType and pulumik8s.ConfigFileType.
const (
	// The stack's own components.
	TypeNetworkComponent      = "karpenter-savings:index:Network"
	TypeClusterComponent      = "karpenter-savings:index:Cluster"
	TypeKarpenterComponent    = "karpenter-savings:index:Karpenter"
	TypeNodePoolsComponent    = "karpenter-savings:index:NodePools"
	TypeDevicePluginComponent = "karpenter-savings:index:DevicePlugin"
	TypeSampleAppComponent    = "karpenter-savings:index:SampleApp"

	// TypeEKSCluster is pulumi-eks' Cluster, a remote component: under the mocks it has no children. It is
	// deep.EKSClusterType, spelled here because deep imports this package.
	TypeEKSCluster = "eks:index:Cluster"
	// TypeKubernetesProvider is the Kubernetes provider resource.
	TypeKubernetesProvider = "pulumi:providers:kubernetes"

	TypeVpc                   = "aws:ec2/vpc:Vpc"
	TypeSubnet                = "aws:ec2/subnet:Subnet"
	TypeInternetGateway       = "aws:ec2/internetGateway:InternetGateway"
	TypeNatGateway            = "aws:ec2/natGateway:NatGateway"
	TypeEip                   = "aws:ec2/eip:Eip"
	TypeRouteTable            = "aws:ec2/routeTable:RouteTable"
	TypeRouteTableAssociation = "aws:ec2/routeTableAssociation:RouteTableAssociation"
	TypeSecurityGroup         = "aws:ec2/securityGroup:SecurityGroup"
	TypeSecurityGroupRule     = "aws:ec2/securityGroupRule:SecurityGroupRule"
	TypeTag                   = "aws:ec2/tag:Tag"

	TypeRole                    = "aws:iam/role:Role"
	TypePolicy                  = "aws:iam/policy:Policy"
	TypeRolePolicyAttachment    = "aws:iam/rolePolicyAttachment:RolePolicyAttachment"
	TypeServiceLinkedRole       = "aws:iam/serviceLinkedRole:ServiceLinkedRole"
	TypeKey                     = "aws:kms/key:Key"
	TypeAlias                   = "aws:kms/alias:Alias"
	TypeAWSEKSCluster           = "aws:eks/cluster:Cluster"
	TypeNodeGroup               = "aws:eks/nodeGroup:NodeGroup"
	TypeAddon                   = "aws:eks/addon:Addon"
	TypeAccessEntry             = "aws:eks/accessEntry:AccessEntry"
	TypeAccessPolicyAssociation = "aws:eks/accessPolicyAssociation:AccessPolicyAssociation"
	TypePodIdentityAssociation  = "aws:eks/podIdentityAssociation:PodIdentityAssociation"
	TypeQueue                   = "aws:sqs/queue:Queue"
	TypeQueuePolicy             = "aws:sqs/queuePolicy:QueuePolicy"
	TypeEventRule               = "aws:cloudwatch/eventRule:EventRule"
	TypeEventTarget             = "aws:cloudwatch/eventTarget:EventTarget"
	TypeCostAllocationTag       = "aws:costexplorer/costAllocationTag:CostAllocationTag"

	TypeNamespace    = "kubernetes:core/v1:Namespace"
	TypeService      = "kubernetes:core/v1:Service"
	TypeConfigMap    = "kubernetes:core/v1:ConfigMap"
	TypeDeployment   = "kubernetes:apps/v1:Deployment"
	TypeStatefulSet  = "kubernetes:apps/v1:StatefulSet"
	TypeCRD          = "kubernetes:apiextensions.k8s.io/v1:CustomResourceDefinition"
	TypeNodePool     = "kubernetes:karpenter.sh/v1:NodePool"
	TypeEC2NodeClass = "kubernetes:karpenter.k8s.aws/v1:EC2NodeClass"
)
