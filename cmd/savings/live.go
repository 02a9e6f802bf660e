package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"strings"
	"time"

	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/karpenter-savings/karpenter-savings/internal/catalog"
	"github.com/karpenter-savings/karpenter-savings/internal/savings/live"
	"github.com/karpenter-savings/karpenter-savings/internal/savings/pricetable"
)

// Price sources for `savings live --prices`.
const (
	pricesAuto     = "auto"
	pricesSnapshot = "snapshot"
)

// awsTimeout bounds the price fetch, so that a host without network falls back to the snapshot quickly.
const awsTimeout = 2 * time.Minute

func liveCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("savings live", flag.ContinueOnError)
	fs.SetOutput(stderr)
	kubeconfig := fs.String("kubeconfig", "", "kubeconfig file (default: $KUBECONFIG or ~/.kube/config)")
	kubeContext := fs.String("context", "", "kubeconfig context (default: the current context)")
	prices := fs.String("prices", pricesAuto, "auto: current AWS prices when credentials work, else the snapshot; snapshot: always the snapshot")
	var sf stackFlags
	sf.register(fs, false)
	var out output
	out.register(fs)
	var img imageFlags
	img.register(fs)
	if err := parse(fs, args); err != nil {
		return err
	}
	if err := img.check(); err != nil {
		fmt.Fprintf(stderr, "savings live: %v\n", err)
		return errUsage
	}
	if *prices != pricesAuto && *prices != pricesSnapshot {
		fmt.Fprintf(stderr, "savings live: --prices %q: want %s or %s\n", *prices, pricesAuto, pricesSnapshot)
		return errUsage
	}
	o, err := sf.options()
	if err != nil {
		return err
	}
	rules := clientcmd.NewDefaultClientConfigLoadingRules()
	rules.ExplicitPath = *kubeconfig
	rest, err := clientcmd.NewNonInteractiveDeferredLoadingClientConfig(rules, &clientcmd.ConfigOverrides{CurrentContext: *kubeContext}).ClientConfig()
	if err != nil {
		return fmt.Errorf("kubeconfig: %w", err)
	}
	kube, err := kubernetes.NewForConfig(rest)
	if err != nil {
		return fmt.Errorf("kubernetes client: %w", err)
	}
	cat, err := catalog.Load()
	if err != nil {
		return err
	}
	var fallbackReason string
	newPricer := func(ctx context.Context, region string) (live.Pricer, error) {
		if *prices == pricesAuto {
			p, err := awsPricer(ctx, region)
			if err == nil {
				return p, nil
			}
			fallbackReason = err.Error()
		}
		// As estimate prices without current prices: Karpenter's generated on-demand prices over the snapshot's.
		laid, err := pricetable.Overlay(cat, region)
		if err != nil {
			return nil, err
		}
		return live.NewSnapshotPricer(laid, region)
	}
	r, err := live.Measure(ctx, kube, cat, newPricer, live.Options{Estimate: o, Images: img.resolve})
	if err != nil {
		return err
	}
	if fallbackReason != "" {
		r.Notes = append(r.Notes, "Prices come from the embedded snapshot because current AWS prices were unavailable: "+fallbackReason)
	}
	return out.write(stdout, r)
}

// awsPricer fetches current prices when the default AWS credential chain works.
func awsPricer(ctx context.Context, region string) (*live.AWSPricer, error) {
	if strings.HasPrefix(region, "us-gov-") {
		return nil, fmt.Errorf("the AWS Price List API does not serve %s", region)
	}
	ctx, cancel := context.WithTimeout(ctx, awsTimeout)
	defer cancel()
	cfg, err := awsconfig.LoadDefaultConfig(ctx, awsconfig.WithRegion(region))
	if err != nil {
		return nil, fmt.Errorf("AWS configuration: %w", err)
	}
	if _, err := cfg.Credentials.Retrieve(ctx); err != nil {
		return nil, fmt.Errorf("no AWS credentials: %w", err)
	}
	pricingAPI, ec2API := live.NewAWSClients(cfg)
	return live.NewAWSPricer(ctx, pricingAPI, ec2API, region, time.Now())
}
