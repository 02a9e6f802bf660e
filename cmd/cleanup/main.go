// Command cleanup is the safety net after an interrupted `pulumi destroy`: it lists, and with --yes deletes, what
// Karpenter and Kubernetes created for one EKS cluster outside Pulumi's state, in an order that lets each deletion
// succeed (instances, launch templates, instance profiles, load balancers, network interfaces, security groups):
//
//	go run ./cmd/cleanup --cluster NAME [--region R] [--vpc-id vpc-…] [--yes]
//
// It first prints the account and identity of the credentials, and stops when there are none. Without --yes it
// deletes nothing and prints a numbered plan, one line per resource with why it matched, and exits
// 0 (1 if a listing failed). With --yes it deletes, retrying what AWS refuses while a dependency is still going, and
// exits 1 if anything could not be deleted. Run `pulumi destroy` again afterwards: the stack's own resources are
// Pulumi's to delete.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/karpenter-savings/karpenter-savings/internal/ops/cleanup"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// run is main without the process: it returns the exit code.
func run(args []string, stdout, stderr io.Writer) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	return runWith(ctx, args, stdout, stderr, awsTarget)
}

// target is where the cleanup works: the clients, and the region and credentials they use.
type target struct {
	clients cleanup.Clients
	region  string
	// caller names the credentials' account and identity.
	caller string
}

// connect returns the target of region, or of the AWS configuration's region when region is empty.
type connect func(ctx context.Context, region string) (target, error)

// awsTarget loads the AWS configuration and asks STS who the credentials are, so that a run without credentials
// stops with one error and a run with them says which account it is about to change.
func awsTarget(ctx context.Context, region string) (target, error) {
	var opts []func(*awsconfig.LoadOptions) error
	if region != "" {
		opts = append(opts, awsconfig.WithRegion(region))
	}
	cfg, err := awsconfig.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return target{}, fmt.Errorf("loading the AWS configuration: %w", err)
	}
	if cfg.Region == "" {
		return target{}, errors.New("no region: pass --region or set AWS_REGION")
	}
	id, err := sts.NewFromConfig(cfg).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		return target{}, fmt.Errorf("no AWS credentials: %w", err)
	}
	return target{
		clients: cleanup.NewClients(cfg),
		region:  cfg.Region,
		caller:  fmt.Sprintf("account %s as %s", aws.ToString(id.Account), aws.ToString(id.Arn)),
	}, nil
}

// runWith is run with the connection to AWS as an argument, for the tests.
func runWith(ctx context.Context, args []string, stdout, stderr io.Writer, connectTo connect) int {
	flags := flag.NewFlagSet("cleanup", flag.ContinueOnError)
	flags.SetOutput(stderr)
	cluster := flags.String("cluster", "", "name of the EKS cluster whose leftovers to find (required)")
	region := flags.String("region", "", "the cluster's AWS region (default: the AWS configuration's region)")
	vpcID := flags.String("vpc-id", "", "VPC whose available network interfaces to delete (default: the VPC of the subnets tagged kubernetes.io/cluster/<cluster>)")
	yes := flags.Bool("yes", false, "delete; without it, only list what would be deleted")
	if err := flags.Parse(args); err != nil {
		return 2
	}
	if flags.NArg() > 0 {
		fmt.Fprintf(stderr, "error: unexpected arguments %q\n", flags.Args())
		return 2
	}
	if *cluster == "" {
		fmt.Fprintln(stderr, "error: --cluster is required")
		return 2
	}

	t, err := connectTo(ctx, *region)
	if err != nil {
		fmt.Fprintf(stderr, "error: %v\n", err)
		return 1
	}
	fmt.Fprintf(stdout, "AWS %s, region %s.\n", t.caller, t.region)
	cleaner, err := cleanup.New(t.clients, cleanup.Options{Cluster: *cluster, Region: t.region, VPCID: *vpcID})
	if err != nil {
		fmt.Fprintf(stderr, "error: %v\n", err)
		return 1
	}
	act := cleaner.Plan
	if *yes {
		act = cleaner.Execute
	}
	if len(act(ctx, stdout).Failed) > 0 {
		return 1
	}
	return 0
}
