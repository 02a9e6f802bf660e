//go:build benchref

// Command benchref is reference B of `make bench-build`: a Pulumi program that imports only the Pulumi SDK packages
// a program declaring this stack's resources needs (pulumi-aws cloudwatch, ec2, eks, iam, sqs; pulumi-eks;
// pulumi-kubernetes' root, apiextensions, core/v1 and helm/v4), and nothing of the project. Its cold build is what
// the program's is measured against. The build tag keeps it out of ./... and of the tests.
package main

import (
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/cloudwatch"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/ec2"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/eks"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/iam"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/sqs"
	pulumieks "github.com/pulumi/pulumi-eks/sdk/v2/go/eks"
	"github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes"
	"github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/apiextensions"
	corev1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/core/v1"
	helmv4 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/helm/v4"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// args names one type of each package, so that every import is used.
var args = []any{
	cloudwatch.EventRuleArgs{}, ec2.VpcArgs{}, eks.AccessEntryArgs{}, iam.RoleArgs{}, sqs.QueueArgs{},
	pulumieks.ClusterArgs{}, kubernetes.ProviderArgs{}, apiextensions.CustomResourceArgs{}, corev1.NamespaceArgs{},
	helmv4.ChartArgs{},
}

func main() {
	pulumi.Run(func(ctx *pulumi.Context) error {
		ctx.Export("types", pulumi.Int(len(args)))
		return nil
	})
}
