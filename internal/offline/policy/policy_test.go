package policy

import (
	"encoding/json"
	"reflect"
	"testing"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/cloudwatch"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/costexplorer"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/ec2"
	awseks "github.com/pulumi/pulumi-aws/sdk/v6/go/aws/eks"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/iam"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/kms"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/sqs"
	"github.com/pulumi/pulumi-eks/sdk/v2/go/eks"
	"github.com/stretchr/testify/require"

	"github.com/karpenter-savings/karpenter-savings/internal/offline/mocks"
)

// ruleCase is one hand-made recording and the violations a rule must find in it: one message fragment per
// expected violation, in the rule's order; none means the recording passes.
type ruleCase struct {
	name string
	rec  *mocks.Recording
	want []string
}

func runCases(t *testing.T, rule string, check func(*mocks.Recording) []Violation, cases []ruleCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := check(tc.rec)
			require.Lenf(t, got, len(tc.want), "expected %d violation(s) %q, got %v", len(tc.want), tc.want, got)
			for i, want := range tc.want {
				require.Equal(t, rule, got[i].Rule, "violation %d: expected rule %s, got %v", i, rule, got[i])
				require.Containsf(t, got[i].Message, want, "violation %d: expected a message about %q, got %q", i, want, got[i].Message)
			}
		})
	}
}

func recording(resources ...mocks.Resource) *mocks.Recording {
	return &mocks.Recording{Resources: resources}
}

func resource(token, name string, inputs map[string]any) mocks.Resource {
	return mocks.Resource{Type: token, Name: name, Custom: true, Inputs: inputs}
}

// policyJSON is an IAM policy document as the program records it: a JSON string.
func policyJSON(statements ...map[string]any) string {
	b, err := json.Marshal(map[string]any{"Version": "2012-10-17", "Statement": statements})
	if err != nil {
		panic(err)
	}
	return string(b)
}

func allow(action, res any) map[string]any {
	return map[string]any{"Effect": "Allow", "Action": action, "Resource": res}
}

func managedPolicy(statements ...map[string]any) *mocks.Recording {
	return recording(resource("aws:iam/policy:Policy", "p", map[string]any{"policy": policyJSON(statements...)}))
}

func TestIAMWildcardActions(t *testing.T) {
	runCases(t, RuleIAMWildcardAction, IAMWildcardActions, []ruleCase{
		{"named actions on any resource pass", managedPolicy(allow([]string{"ec2:DescribeInstances", "pricing:GetProducts"}, "*")), nil},
		{"a narrow read wildcard passes", managedPolicy(allow("ec2:Describe*", "*")), nil},
		{"a service wildcard in a Deny passes", managedPolicy(map[string]any{"Effect": "Deny", "Action": "sqs:*", "Resource": "*"}), nil},
		{"every action fails", managedPolicy(allow("*", "*")), []string{`allows action "*"`}},
		{"every action of every service fails", managedPolicy(allow("*:*", "*")), []string{`allows action "*:*"`}},
		{"every action of one service fails", managedPolicy(allow([]string{"ec2:DescribeInstances", "iam:*"}, "*")), []string{`allows action "iam:*"`}},
		{"a wildcard service fails", managedPolicy(allow("*:GetObject", "*")), []string{`allows action "*:GetObject"`}},
		{"Allow with NotAction fails", managedPolicy(map[string]any{"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"}), []string{"allows every action except"}},
		{"a single statement object is read", recording(resource("aws:iam/policy:Policy", "p", map[string]any{
			"policy": `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*"}}`,
		})), []string{`allows action "s3:*"`}},
		{"a role policy is checked", recording(resource("aws:iam/rolePolicy:RolePolicy", "rp", map[string]any{
			"policy": policyJSON(allow("s3:*", "*")),
		})), []string{`allows action "s3:*"`}},
		{"a role's inline policy is checked", recording(resource("aws:iam/role:Role", "r", map[string]any{
			"inlinePolicies": []any{map[string]any{"name": "admin", "policy": policyJSON(allow("*", "*"))}},
		})), []string{`inline policy 0 (admin): statement #0 allows action "*"`}},
		{"a document that is not JSON cannot pass", recording(resource("aws:iam/policy:Policy", "p", map[string]any{
			"policy": "[unknown]",
		})), []string{"cannot be checked"}},
		{"a document without statements cannot pass", recording(resource("aws:iam/policy:Policy", "p", map[string]any{
			"policy": `{"Version":"2012-10-17"}`,
		})), []string{"has no Statement"}},
		{"an EKS managed policy attachment passes", recording(resource("aws:iam/rolePolicyAttachment:RolePolicyAttachment", "a", map[string]any{
			"policyArn": "arn:aws:iam::aws:policy/AmazonEKSWorkerNodePolicy",
		})), nil},
		{"attaching AdministratorAccess fails", recording(resource("aws:iam/rolePolicyAttachment:RolePolicyAttachment", "a", map[string]any{
			"policyArn": "arn:aws:iam::aws:policy/AdministratorAccess",
		})), []string{"AdministratorAccess"}},
		{"a role's FullAccess managed policy fails", recording(resource("aws:iam/role:Role", "r", map[string]any{
			"managedPolicyArns": []any{"arn:aws:iam::aws:policy/AmazonS3FullAccess"},
		})), []string{"AmazonS3FullAccess"}},
		{"a customer policy named like a managed one passes", recording(resource("aws:iam/rolePolicyAttachment:RolePolicyAttachment", "a", map[string]any{
			"policyArn": "arn:aws:iam::123456789012:policy/TeamFullAccess",
		})), nil},
	})
}

func TestIAMPassRoleWildcards(t *testing.T) {
	const nodeRole = "arn:aws:iam::123456789012:role/KarpenterNodeRole-c"
	runCases(t, RuleIAMPassRoleWildcard, IAMPassRoleWildcards, []ruleCase{
		{"passing one named role passes", managedPolicy(allow("iam:PassRole", nodeRole)), nil},
		{"a Deny on every role passes", managedPolicy(map[string]any{"Effect": "Deny", "Action": "iam:PassRole", "Resource": "*"}), nil},
		{"a NotAction that excludes iam passes", managedPolicy(map[string]any{"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"}), nil},
		{"passing any role fails", managedPolicy(allow("iam:PassRole", "*")), []string{`allows iam:PassRole on "*"`}},
		{"a role path wildcard fails", managedPolicy(allow("iam:PassRole", []string{nodeRole, "arn:aws:iam::123456789012:role/*"})), []string{`on "arn:aws:iam::123456789012:role/*"`}},
		{"a ? wildcard fails", managedPolicy(allow("iam:PassRole", "arn:aws:iam::123456789012:role/app-?")), []string{`role/app-?"`}},
		{"an action pattern that covers PassRole fails", managedPolicy(allow("iam:Pass*", "*")), []string{`allows iam:PassRole on "*"`}},
		{"action names are case-insensitive", managedPolicy(allow("IAM:passrole", "*")), []string{`allows iam:PassRole on "*"`}},
		{"a NotAction that keeps PassRole fails", managedPolicy(map[string]any{"Effect": "Allow", "NotAction": "s3:*", "Resource": "*"}), []string{`allows iam:PassRole on "*"`}},
		{"NotResource fails", managedPolicy(map[string]any{"Effect": "Allow", "Action": "iam:PassRole", "NotResource": nodeRole}), []string{"every role except"}},
		{"a document that is not JSON cannot pass", recording(resource("aws:iam/rolePolicy:RolePolicy", "rp", map[string]any{
			"policy": "[secret]",
		})), []string{"cannot be checked"}},
	})
}

// nodeClass is an EC2NodeClass as the nodepools component records it; edit mutates a copy of its spec.
func nodeClass(edit func(spec map[string]any)) *mocks.Recording {
	spec := map[string]any{
		"subnetSelectorTerms":        []any{map[string]any{"tags": map[string]any{"karpenter.sh/discovery": "c"}}},
		"securityGroupSelectorTerms": []any{map[string]any{"tags": map[string]any{"karpenter.sh/discovery": "c"}}},
		"amiSelectorTerms":           []any{map[string]any{"alias": "al2023@v20251120"}},
		"metadataOptions":            map[string]any{"httpTokens": "required", "httpPutResponseHopLimit": 1.0, "httpEndpoint": "enabled"},
		"blockDeviceMappings": []any{map[string]any{
			"deviceName": "/dev/xvda",
			"ebs":        map[string]any{"encrypted": true, "volumeSize": "20Gi", "volumeType": "gp3"},
		}},
	}
	if edit != nil {
		edit(spec)
	}
	return recording(resource("kubernetes:karpenter.k8s.aws/v1:EC2NodeClass", "np-ec2nodeclass-default", map[string]any{
		"apiVersion": "karpenter.k8s.aws/v1", "kind": "EC2NodeClass", "metadata": map[string]any{"name": "default"}, "spec": spec,
	}))
}

func TestNodeClassHardening(t *testing.T) {
	runCases(t, RuleNodeClassHardening, NodeClassHardening, []ruleCase{
		{"IMDSv2, one hop and an encrypted root volume pass", nodeClass(nil), nil},
		{"IMDSv1 fails", nodeClass(func(s map[string]any) {
			s["metadataOptions"].(map[string]any)["httpTokens"] = "optional"
		}), []string{`httpTokens is "optional"`}},
		{"two hops fail", nodeClass(func(s map[string]any) {
			s["metadataOptions"].(map[string]any)["httpPutResponseHopLimit"] = 2.0
		}), []string{"httpPutResponseHopLimit is 2"}},
		{"metadata options left to defaults fail", nodeClass(func(s map[string]any) {
			delete(s, "metadataOptions")
		}), []string{"httpTokens is unset", "httpPutResponseHopLimit is unset"}},
		{"no block device mapping fails", nodeClass(func(s map[string]any) {
			delete(s, "blockDeviceMappings")
		}), []string{"blockDeviceMappings is empty"}},
		{"an unencrypted volume fails", nodeClass(func(s map[string]any) {
			s["blockDeviceMappings"] = append(s["blockDeviceMappings"].([]any), map[string]any{
				"deviceName": "/dev/xvdb", "ebs": map[string]any{"encrypted": false},
			})
		}), []string{`blockDeviceMappings[1] (device "/dev/xvdb"): ebs.encrypted is false`}},
		{"a mapping without ebs fails", nodeClass(func(s map[string]any) {
			s["blockDeviceMappings"] = []any{map[string]any{"deviceName": "/dev/xvda"}}
		}), []string{"ebs.encrypted is unset"}},
		{"another API version is checked too", recording(resource("kubernetes:karpenter.k8s.aws/v1beta1:EC2NodeClass", "old", map[string]any{})), []string{"has no spec"}},
		{"a NodePool is not a node class", recording(resource("kubernetes:karpenter.sh/v1:NodePool", "np", map[string]any{"spec": map[string]any{}})), nil},
	})
}

func TestNodeClassSelectorTerms(t *testing.T) {
	terms := func(list string, ts ...any) func(map[string]any) {
		return func(s map[string]any) { s[list] = ts }
	}
	runCases(t, RuleNodeClassSelectorTerms, NodeClassSelectorTerms, []ruleCase{
		{"tags, an alias and one term each pass", nodeClass(nil), nil},
		{"a subnet id passes", nodeClass(terms("subnetSelectorTerms", map[string]any{"id": "subnet-0123"})), nil},
		{"a security group name passes", nodeClass(terms("securityGroupSelectorTerms", map[string]any{"name": "nodes"})), nil},
		{"an AMI id, name or SSM parameter passes", nodeClass(terms("amiSelectorTerms",
			map[string]any{"id": "ami-0123"}, map[string]any{"name": "al2023-*", "owner": "amazon"}, map[string]any{"ssmParameter": "/ami"})), nil},
		{"a subnet term with no field fails", nodeClass(terms("subnetSelectorTerms", map[string]any{})),
			[]string{`EC2NodeClass "default": spec.subnetSelectorTerms[0] is empty; want one of tags, id set`}},
		{"a security group term whose tags are {} fails", nodeClass(terms("securityGroupSelectorTerms", map[string]any{"tags": map[string]any{}})),
			[]string{`EC2NodeClass "default": spec.securityGroupSelectorTerms[0] is empty; want one of tags, id, name set`}},
		{"an AMI term with only an owner fails", nodeClass(terms("amiSelectorTerms", map[string]any{"owner": "amazon"})),
			[]string{`spec.amiSelectorTerms[0] is empty; want one of tags, id, name, alias, ssmParameter set`}},
		{"an empty string is not set", nodeClass(terms("amiSelectorTerms", map[string]any{"alias": ""})),
			[]string{`spec.amiSelectorTerms[0] is empty`}},
		{"an empty tag key fails", nodeClass(terms("subnetSelectorTerms", map[string]any{"tags": map[string]any{"": "c"}})),
			[]string{`spec.subnetSelectorTerms[0] has a tag with an empty key (value "c")`}},
		{"an empty tag value fails", nodeClass(terms("securityGroupSelectorTerms",
			map[string]any{"tags": map[string]any{"karpenter.sh/discovery": "c"}}, map[string]any{"tags": map[string]any{"team": ""}})),
			[]string{`spec.securityGroupSelectorTerms[1] has tag "team" with an empty value`}},
		{"no subnet term fails", nodeClass(func(s map[string]any) { delete(s, "subnetSelectorTerms") }),
			[]string{"spec.subnetSelectorTerms has no term"}},
		{"a term that is not an object fails", nodeClass(terms("amiSelectorTerms", "al2023@latest")),
			[]string{`spec.amiSelectorTerms[0] is "al2023@latest", not a selector term`}},
		{"a node class without a spec cannot pass", recording(resource("kubernetes:karpenter.k8s.aws/v1:EC2NodeClass", "nc", map[string]any{})),
			[]string{"EC2NodeClass without metadata.name: has no spec"}},
		{"a NodePool is not a node class", recording(resource("kubernetes:karpenter.sh/v1:NodePool", "np", map[string]any{"spec": map[string]any{}})), nil},
	})
}

func clusterWith(inputs map[string]any) *mocks.Recording {
	return recording(resource("eks:index:Cluster", "c-eks", inputs))
}

func awsClusterWith(inputs map[string]any) *mocks.Recording {
	return recording(resource("aws:eks/cluster:Cluster", "c-eksCluster", inputs))
}

func TestControlPlaneLogging(t *testing.T) {
	all := []any{"api", "audit", "authenticator", "controllerManager", "scheduler"}
	runCases(t, RuleControlPlaneLogging, ControlPlaneLogging, []ruleCase{
		{"all five log types pass", clusterWith(map[string]any{"enabledClusterLogTypes": all}), nil},
		{"a missing audit log fails", clusterWith(map[string]any{"enabledClusterLogTypes": []any{"api", "authenticator", "controllerManager", "scheduler"}}), []string{"lacks audit;"}},
		{"no logging fails", clusterWith(map[string]any{}), []string{"lacks api, audit, authenticator, controllerManager, scheduler"}},
		{"the AWS provider's cluster passes with all five", awsClusterWith(map[string]any{"enabledClusterLogTypes": all}), nil},
		{"the AWS provider's cluster fails without scheduler logs", awsClusterWith(map[string]any{"enabledClusterLogTypes": all[:4]}), []string{"lacks scheduler"}},
	})
}

func TestSecretsEncryption(t *testing.T) {
	const key = "arn:aws:kms:us-east-1:123456789012:key/0123"
	runCases(t, RuleSecretsEncryption, SecretsEncryption, []ruleCase{
		{"a KMS key passes", clusterWith(map[string]any{"encryptionConfigKeyArn": key}), nil},
		{"no key fails", clusterWith(map[string]any{}), []string{"encryptionConfigKeyArn is unset"}},
		{"an unresolved key fails", clusterWith(map[string]any{"encryptionConfigKeyArn": "[unknown]"}), []string{`encryptionConfigKeyArn is "[unknown]"`}},
		{"an ARN of another service fails", clusterWith(map[string]any{"encryptionConfigKeyArn": "arn:aws:iam::123456789012:role/x"}), []string{"want the ARN of a KMS key"}},
		{"the AWS provider's cluster passes with secrets encrypted", awsClusterWith(map[string]any{
			"encryptionConfig": map[string]any{"provider": map[string]any{"keyArn": key}, "resources": []any{"secrets"}},
		}), nil},
		{"the AWS provider's cluster fails when secrets are not listed", awsClusterWith(map[string]any{
			"encryptionConfig": map[string]any{"provider": map[string]any{"keyArn": key}, "resources": []any{}},
		}), []string{`does not list "secrets"`}},
	})
}

func TestPublicEndpoint(t *testing.T) {
	office := []string{"203.0.113.0/24", "198.51.100.0/24"}
	check := func(allowed []string) func(*mocks.Recording) []Violation {
		return func(rec *mocks.Recording) []Violation { return PublicEndpoint(rec, allowed) }
	}
	runCases(t, RulePublicEndpoint, check(nil), []ruleCase{
		{"without configured CIDRs EKS's default passes", clusterWith(map[string]any{"endpointPublicAccess": true}), nil},
	})
	runCases(t, RulePublicEndpoint, check(office), []ruleCase{
		{"the configured CIDRs pass", clusterWith(map[string]any{"publicAccessCidrs": []any{"203.0.113.0/24", "198.51.100.0/24"}}), nil},
		{"the configured CIDRs in another order pass", clusterWith(map[string]any{"publicAccessCidrs": []any{"198.51.100.0/24", "203.0.113.0/24"}}), nil},
		{"a disabled public endpoint passes", clusterWith(map[string]any{"endpointPublicAccess": false}), nil},
		{"unset CIDRs fail", clusterWith(map[string]any{"endpointPublicAccess": true}), []string{"publicAccessCidrs is unset, which EKS opens to 0.0.0.0/0"}},
		{"other CIDRs fail", clusterWith(map[string]any{"publicAccessCidrs": []any{"203.0.113.0/24"}}), []string{"the configuration allows 203.0.113.0/24, 198.51.100.0/24"}},
		{"the whole internet fails", clusterWith(map[string]any{"publicAccessCidrs": []any{"203.0.113.0/24", "198.51.100.0/24", "0.0.0.0/0"}}), []string{"contains 0.0.0.0/0, the whole internet", "the configuration allows"}},
		{"the AWS provider's cluster is checked in vpcConfig", awsClusterWith(map[string]any{"vpcConfig": map[string]any{"publicAccessCidrs": []any{"10.0.0.0/8"}}}), []string{"vpcConfig.publicAccessCidrs is 10.0.0.0/8"}},
	})
	runCases(t, RulePublicEndpoint, check([]string{"0.0.0.0/0"}), []ruleCase{
		{"a configured 0.0.0.0/0 fails too", clusterWith(map[string]any{"publicAccessCidrs": []any{"0.0.0.0/0"}}), []string{"the whole internet"}},
	})
}

func TestStackTags(t *testing.T) {
	tags := map[string]string{"project": "karpenter-savings", "managed-by": "pulumi"}
	tagged := map[string]any{"project": "karpenter-savings", "managed-by": "pulumi", "Name": "x"}
	check := func(rec *mocks.Recording) []Violation { return StackTags(rec, tags) }
	runCases(t, RuleStackTags, check, []ruleCase{
		{"a tagged VPC passes", recording(resource("aws:ec2/vpc:Vpc", "vpc", map[string]any{"tags": tagged})), nil},
		{"an untagged VPC fails once per tag", recording(resource("aws:ec2/vpc:Vpc", "vpc", map[string]any{})), []string{`lacks the stack tag "managed-by"`, `lacks the stack tag "project"`}},
		{"another value fails", recording(resource("aws:sqs/queue:Queue", "q", map[string]any{
			"tags": map[string]any{"project": "other", "managed-by": "pulumi"},
		})), []string{`has "project" = "other"; the stack tag is "karpenter-savings"`}},
		{"a type without tags passes untagged", recording(resource("aws:iam/rolePolicyAttachment:RolePolicyAttachment", "a", map[string]any{})), nil},
		{"an unclassified AWS type fails", recording(resource("aws:s3/bucket:Bucket", "b", map[string]any{"tags": tagged})), []string{"type aws:s3/bucket:Bucket is not classified"}},
		{"the pulumi-eks cluster is checked", recording(resource("eks:index:Cluster", "c", map[string]any{"tags": map[string]any{"project": "karpenter-savings"}})), []string{`lacks the stack tag "managed-by"`}},
		{"a node class must tag what Karpenter launches", nodeClass(nil), []string{`spec.tags lacks the stack tag "managed-by"`, `spec.tags lacks the stack tag "project"`}},
		{"Kubernetes resources are not AWS resources", recording(resource("kubernetes:core/v1:Namespace", "ns", map[string]any{})), nil},
	})
	runCases(t, RuleStackTags, func(rec *mocks.Recording) []Violation { return StackTags(rec, nil) }, []ruleCase{
		{"without stack tags only classification is checked", recording(
			resource("aws:ec2/vpc:Vpc", "vpc", map[string]any{}),
			resource("aws:s3/bucket:Bucket", "b", map[string]any{}),
		), []string{"aws:s3/bucket:Bucket is not classified"}},
	})
}

// The classification must say what the SDKs say: a type is taggable exactly when its Args struct has Tags.
func TestTaggableMatchesTheSDKs(t *testing.T) {
	args := map[string]any{
		"aws:cloudwatch/eventRule:EventRule":                      cloudwatch.EventRuleArgs{},
		"aws:cloudwatch/eventTarget:EventTarget":                  cloudwatch.EventTargetArgs{},
		"aws:cloudwatch/logGroup:LogGroup":                        cloudwatch.LogGroupArgs{},
		"aws:costexplorer/costAllocationTag:CostAllocationTag":    costexplorer.CostAllocationTagArgs{},
		"aws:ec2/eip:Eip":                                         ec2.EipArgs{},
		"aws:ec2/internetGateway:InternetGateway":                 ec2.InternetGatewayArgs{},
		"aws:ec2/launchTemplate:LaunchTemplate":                   ec2.LaunchTemplateArgs{},
		"aws:ec2/natGateway:NatGateway":                           ec2.NatGatewayArgs{},
		"aws:ec2/route:Route":                                     ec2.RouteArgs{},
		"aws:ec2/routeTable:RouteTable":                           ec2.RouteTableArgs{},
		"aws:ec2/routeTableAssociation:RouteTableAssociation":     ec2.RouteTableAssociationArgs{},
		"aws:ec2/securityGroup:SecurityGroup":                     ec2.SecurityGroupArgs{},
		"aws:ec2/securityGroupRule:SecurityGroupRule":             ec2.SecurityGroupRuleArgs{},
		"aws:ec2/subnet:Subnet":                                   ec2.SubnetArgs{},
		"aws:ec2/tag:Tag":                                         ec2.TagArgs{},
		"aws:ec2/vpc:Vpc":                                         ec2.VpcArgs{},
		"aws:eks/accessEntry:AccessEntry":                         awseks.AccessEntryArgs{},
		"aws:eks/accessPolicyAssociation:AccessPolicyAssociation": awseks.AccessPolicyAssociationArgs{},
		"aws:eks/addon:Addon":                                     awseks.AddonArgs{},
		"aws:eks/cluster:Cluster":                                 awseks.ClusterArgs{},
		"aws:eks/nodeGroup:NodeGroup":                             awseks.NodeGroupArgs{},
		"aws:eks/podIdentityAssociation:PodIdentityAssociation":   awseks.PodIdentityAssociationArgs{},
		"aws:iam/instanceProfile:InstanceProfile":                 iam.InstanceProfileArgs{},
		"aws:iam/policy:Policy":                                   iam.PolicyArgs{},
		"aws:iam/role:Role":                                       iam.RoleArgs{},
		"aws:iam/rolePolicy:RolePolicy":                           iam.RolePolicyArgs{},
		"aws:iam/rolePolicyAttachment:RolePolicyAttachment":       iam.RolePolicyAttachmentArgs{},
		"aws:iam/serviceLinkedRole:ServiceLinkedRole":             iam.ServiceLinkedRoleArgs{},
		"aws:kms/alias:Alias":                                     kms.AliasArgs{},
		"aws:kms/key:Key":                                         kms.KeyArgs{},
		"aws:sqs/queue:Queue":                                     sqs.QueueArgs{},
		"aws:sqs/queuePolicy:QueuePolicy":                         sqs.QueuePolicyArgs{},
		"eks:index:Cluster":                                       eks.ClusterArgs{},
	}
	require.Len(t, args, len(taggable), "every classified type has its Args struct here, and no other")
	for token, a := range args {
		t.Run(token, func(t *testing.T) {
			classified, ok := taggable[token]
			require.Truef(t, ok, "expected %s to be classified", token)
			_, hasTags := reflect.TypeOf(a).FieldByName("Tags")
			require.Equalf(t, hasTags, classified, "%s: Args has Tags = %v, classified taggable = %v", token, hasTags, classified)
		})
	}
}

func TestCheckCombinesTheRulesSortedByRule(t *testing.T) {
	rec := recording(
		resource("aws:iam/policy:Policy", "admin", map[string]any{"policy": policyJSON(allow("*", "*")), "tags": map[string]any{"project": "p"}}),
		resource("eks:index:Cluster", "c", map[string]any{"tags": map[string]any{"project": "p"}}),
	)
	got := Check(rec, Options{PublicAccessCidrs: []string{"203.0.113.0/24"}, Tags: map[string]string{"project": "p"}})
	var summary []string
	for _, v := range got {
		summary = append(summary, v.Rule+" "+v.Resource)
	}
	require.Equal(t, []string{
		"control-plane-logging eks:index:Cluster c",
		"iam-passrole-wildcard aws:iam/policy:Policy admin",
		"iam-wildcard-action aws:iam/policy:Policy admin",
		"public-endpoint eks:index:Cluster c",
		"secrets-encryption eks:index:Cluster c",
	}, summary)
}

func TestViolationPrintsOnOneLine(t *testing.T) {
	v := Violation{Rule: RuleStackTags, Resource: "aws:ec2/vpc:Vpc vpc", Message: `tags lacks the stack tag "project"`}
	require.Equal(t, `stack-tags: aws:ec2/vpc:Vpc vpc: tags lacks the stack tag "project"`, v.String())
}
