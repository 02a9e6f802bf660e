// Command preflight checks, before a first `pulumi up`, what the stack needs and cannot create itself, and prints one
// line per check:
//
//	go run ./cmd/preflight [--stack dev] [--dir .]
//
// It checks the local tools pulumi-eks runs (Pulumi CLI, AWS CLI v2, kubectl >= 1.24), the AWS credentials and the
// stack's region, the EC2 Spot service-linked role, that no leftover of an earlier stack holds one of the fixed
// names the stack gives its resources, and, once the cluster exists, that no principal of clusterAdminPrincipalArns
// already has an access entry the stack did not create. It reports the state of the cost allocation tags `savings
// billed` groups the bill by (ce:ListCostAllocationTags, from the payer account). It exits 1 when a check fails.
// Without credentials the account checks are skipped, not failed: the exit status then reflects the local checks only.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"

	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/karpenter-savings/karpenter-savings/internal/ops/preflight"
	"github.com/karpenter-savings/karpenter-savings/internal/program/project"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// run is main without the process: it returns the exit code.
func run(args []string, stdout, stderr io.Writer) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	return runWith(ctx, args, stdout, stderr, preflight.ExecRunner{}, awsClients, preflight.HTTPFetch)
}

// newClients returns the account checks' clients for a region.
type newClients func(ctx context.Context, region string) (preflight.Clients, error)

func awsClients(ctx context.Context, region string) (preflight.Clients, error) {
	cfg, err := awsconfig.LoadDefaultConfig(ctx, awsconfig.WithRegion(region))
	if err != nil {
		return preflight.Clients{}, fmt.Errorf("loading the AWS configuration: %w", err)
	}
	return preflight.NewClients(cfg), nil
}

// runWith is run with the runner, the AWS clients and the HTTPS fetch as arguments, for the tests.
func runWith(ctx context.Context, args []string, stdout, stderr io.Writer, runner preflight.Runner, clients newClients, fetch preflight.Fetch) int {
	flags := flag.NewFlagSet("preflight", flag.ContinueOnError)
	flags.SetOutput(stderr)
	stackName := flags.String("stack", "dev", "stack whose Pulumi.<stack>.yaml names the cluster and region")
	dir := flags.String("dir", ".", "directory holding Pulumi.yaml")
	if err := flags.Parse(args); err != nil {
		return 2
	}
	if flags.NArg() > 0 {
		fmt.Fprintf(stderr, "error: unexpected arguments %q\n", flags.Args())
		return 2
	}
	cfg, _, err := project.LoadConfig(*dir, *stackName)
	if err != nil {
		fmt.Fprintf(stderr, "error: %v\n", err)
		return 1
	}

	fmt.Fprintf(stdout, "Preflight of stack %s: cluster %s in %s. On a stack that is already deployed, the name checks "+
		"find the stack's own resources; those failures are expected there.\n\n", *stackName, cfg.ClusterName, cfg.Region)
	c, err := clients(ctx, cfg.Region)
	if err != nil {
		// Without a configuration there are no credentials either: the account checks report it as such.
		c = preflight.Clients{STS: unavailable{err}}
	}
	c.Fetch = fetch
	report := preflight.Run(ctx, runner, c, cfg)
	if err := report.Write(stdout); err != nil {
		fmt.Fprintf(stderr, "error: %v\n", err)
		return 1
	}
	if report.Count(preflight.StatusFail) > 0 {
		return 1
	}
	return 0
}

// unavailable answers the credentials check with the error that kept the AWS configuration from loading.
type unavailable struct{ err error }

func (u unavailable) GetCallerIdentity(context.Context, *sts.GetCallerIdentityInput, ...func(*sts.Options)) (*sts.GetCallerIdentityOutput, error) {
	return nil, u.err
}
