// Command savings estimates and measures what Karpenter and multi-arch node pools save.
//
//	go run ./cmd/savings estimate -f WORKLOAD.yaml [-f ...] [--stack dev] [--region R] [--json] [--chart out.svg]
//	    [--baseline-type m6i.large] [--baseline-gpu-type g5.xlarge] [--prices snapshot|auto]
//	    [--images auto|registry|assume|FILE]
//	go run ./cmd/savings live [--kubeconfig PATH] [--context NAME] [--json] [--chart out.svg] [--prices auto|snapshot]
//	    [--images auto|registry|assume|FILE]
//	go run ./cmd/savings diff --base BASEDIR [--dir .] [--stack dev] [-f W.yaml ...] [--json | --markdown] [--fail-above PCT]
//	    [--images auto|registry|assume|FILE]
//	go run ./cmd/savings billed [--start YYYY-MM-DD] [--end YYYY-MM-DD] [--granularity DAILY|MONTHLY] [--stack dev] [--json] [--ce-json FILE]
//	    [--baseline-type m6i.large] [--baseline-gpu-type g5.xlarge]
//
// estimate places the manifests' pods with Karpenter's own scheduler on four kinds of capacity — an on-demand x86
// node group, the lab's default pool, this stack's pools, and the lower bound — and splits the saving into spot,
// Graviton and packing. live prices a running cluster's nodes and compares them with the baseline for the same
// pods. Both are requests-based estimates, not billing, and name their price data and its date. estimate, diff and
// billed price on-demand from Karpenter's generated table where it has the type, else the snapshot, and spot from the
// snapshot (--prices snapshot), or everything from the AWS APIs (--prices auto); estimate also says what share of each
// scenario is spot and re-prices multiarch and lab-default with no spot price deeper than the region's median discount.
//
// -f reads manifests as kubectl does: multi-document YAML or JSON, helm template output, or a kubectl get -o yaml
// List. Workloads (Deployments, StatefulSets, ReplicaSets, ReplicationControllers, Jobs, CronJobs, DaemonSets, bare
// Pods, and custom kinds with spec.template and spec.replicas), HorizontalPodAutoscalers and PodDisruptionBudgets are
// read; a pod or ReplicaSet whose controller is in the input is counted once; every other object is listed as
// ignored (docs/savings.md, "What the manifest reader accepts").
//
// --images says which images run on arm64 (a pod whose image offers no linux/arm64 runs on amd64 only in every
// scenario): auto (the default) reads each image's registry and assumes multi-arch, naming it, for one it cannot
// read; registry fails instead; assume reads nothing; FILE is a JSON object {"image as written": ["linux/amd64"]}.
// Registry answers are cached in <user cache dir>/karpenter-savings/images.json (--images-cache FILE, or off; auto and
// registry only).
// Tests and golden outputs pass --images assume or an images file: none reaches a registry.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/go-logr/logr"
	"sigs.k8s.io/controller-runtime/pkg/log"

	"github.com/karpenter-savings/karpenter-savings/internal/savings"
)

const usage = `usage:
  savings estimate -f WORKLOAD.yaml [-f ...] [flags]   estimate the four scenarios for manifests
  savings live [flags]                                 measure a running cluster against the baseline
  savings diff --base BASEDIR [-f WORKLOAD.yaml] [flags]  what a config change does to the estimate (exit 3: over --fail-above)
  savings billed [--start D --end D] [--ce-json FILE] [flags]  what Karpenter's pools and the node group cost on the bill against the baseline
run "savings <command> -h" for the flags of a command`

func main() {
	// Karpenter's code logs through controller-runtime; the tool reports through its own output instead.
	log.SetLogger(logr.Discard())
	savings.TuneGC()
	os.Exit(run(context.Background(), os.Args[1:], os.Stdout, os.Stderr))
}

// run is main without the process: it returns the exit code.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprintln(stderr, usage)
		return 2
	}
	var err error
	switch args[0] {
	case "estimate":
		err = estimate(ctx, args[1:], stdout, stderr)
	case "live":
		err = liveCmd(ctx, args[1:], stdout, stderr)
	case "diff":
		err = diffCmd(ctx, args[1:], stdout, stderr)
	case "billed":
		err = billedCmd(ctx, args[1:], stdout, stderr)
	case "-h", "-help", "--help", "help":
		fmt.Fprintln(stdout, usage)
		return 0
	default:
		fmt.Fprintf(stderr, "unknown command %q\n%s\n", args[0], usage)
		return 2
	}
	switch {
	case errors.Is(err, flag.ErrHelp):
		return 0
	case errors.Is(err, errUsage):
		return 2
	case errors.Is(err, errAboveThreshold):
		return 3
	case err != nil:
		fmt.Fprintf(stderr, "error: %v\n", err)
		return 1
	}
	return 0
}

// errUsage marks a command line the flag package already reported.
var errUsage = errors.New("usage")

// output holds the flags every command shares.
type output struct {
	json  bool
	chart string
}

func (o *output) register(fs *flag.FlagSet) {
	fs.BoolVar(&o.json, "json", false, `print one JSON object {"scenarios", "savings", "prices", ...} instead of a table`)
	fs.StringVar(&o.chart, "chart", "", "also write an SVG bar chart of the cost per scenario, split by cause, to this file")
}

func (o *output) write(stdout io.Writer, r *savings.Report) error {
	if o.chart != "" {
		f, err := os.Create(o.chart)
		if err != nil {
			return fmt.Errorf("chart: %w", err)
		}
		if err := savings.WriteChart(f, r); err != nil {
			return errors.Join(err, f.Close())
		}
		if err := f.Close(); err != nil {
			return fmt.Errorf("chart: %w", err)
		}
	}
	if o.json {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(r); err != nil {
			return fmt.Errorf("json: %w", err)
		}
		return nil
	}
	return savings.WriteTable(stdout, r)
}

// files is a repeatable -f flag.
type files []string

func (f *files) String() string { return strings.Join(*f, ",") }

func (f *files) Set(v string) error {
	*f = append(*f, v)
	return nil
}

// parse parses fs, turning the flag package's errors into errUsage (it has printed them) and -h into flag.ErrHelp.
func parse(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return errUsage
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(fs.Output(), "unexpected arguments: %v\n", fs.Args())
		return errUsage
	}
	return nil
}
