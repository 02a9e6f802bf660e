package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"

	"github.com/karpenter-savings/karpenter-savings/internal/catalog"
	"github.com/karpenter-savings/karpenter-savings/internal/savings"
	"github.com/karpenter-savings/karpenter-savings/internal/workload"
)

func estimate(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("savings estimate", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var manifests files
	fs.Var(&manifests, "f", "Kubernetes manifest (multi-document YAML) with Deployments, StatefulSets, Jobs, DaemonSets; repeatable")
	var sf stackFlags
	sf.register(fs, true)
	var out output
	out.register(fs)
	if err := parse(fs, args); err != nil {
		return err
	}
	if len(manifests) == 0 {
		fmt.Fprintln(stderr, "savings estimate: at least one -f WORKLOAD.yaml is required")
		return errUsage
	}
	o, err := sf.options()
	if err != nil {
		return err
	}
	w, err := workload.ReadFiles(manifests...)
	if err != nil {
		return err
	}
	cat, err := catalog.Load()
	if err != nil {
		return err
	}
	r, err := savings.Estimate(ctx, cat, w, o)
	if err != nil {
		return err
	}
	if err := out.write(stdout, r); err != nil {
		return errors.Join(errors.New("writing the report"), err)
	}
	return nil
}
