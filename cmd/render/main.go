// Command render runs the stack's Pulumi program offline, under Pulumi's mock engine, with a stack's real
// configuration (Pulumi.yaml defaults + Pulumi.<stack>.yaml), and prints every resource it would declare.
//
//	go run ./cmd/render [--stack dev] [--json | --check] [--deep] [--dir .]
//
// No AWS account or Pulumi CLI is needed: invokes (SSM AMI parameters, caller identity, the EKS cluster lookup)
// answer with realistic mocked values, so the output shows exactly what `pulumi preview` would send. With --check it
// runs the policy rules (internal/policy) on the render instead, prints one line per violation and exits 1 if any.
//
// With --json every resource carries its URN, its parent's URN, the URN of its explicit provider and its
// dependencies as URNs (explicit and property dependencies, components expanded to their children), so the graph
// `pulumi destroy` walks can be checked exactly. The children of the sample app's yaml/v2 ConfigFile are shown,
// registered by pulumi-kubernetes' own yaml/v2 code (internal/mockcloud, yamlv2.go) with the program's transforms
// applied. With --deep it adds what the other remote components create: the objects of the Helm releases whose charts
// are available offline (Helm's Go SDK, marked "h" and "emulated") and the children of pulumi-eks's Cluster (its npm
// package run under Node mocks, tools/eks-harness; `make deep-deps` installs it).
package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/karpenter-savings/karpenter-savings/internal/config"
	"github.com/karpenter-savings/karpenter-savings/internal/deep"
	"github.com/karpenter-savings/karpenter-savings/internal/mockcloud"
	"github.com/karpenter-savings/karpenter-savings/internal/policy"
	"github.com/karpenter-savings/karpenter-savings/internal/project"
	"github.com/karpenter-savings/karpenter-savings/internal/stack"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// run is main without the process: it returns the exit code.
func run(args []string, stdout, stderr io.Writer) int {
	flags := flag.NewFlagSet("render", flag.ContinueOnError)
	flags.SetOutput(stderr)
	stackName := flags.String("stack", "dev", "stack whose Pulumi.<stack>.yaml to render")
	asJSON := flags.Bool("json", false, "print one JSON object {resources, outputs} instead of a tree")
	check := flags.Bool("check", false, "run the policy rules on the render instead of printing it; exit 1 on any violation")
	dir := flags.String("dir", ".", "directory holding Pulumi.yaml")
	deepRender := flags.Bool("deep", false, "also show what the Helm releases install (Helm's Go SDK, charts available offline) and what pulumi-eks creates (its npm package under Node mocks; needs `make deep-deps`)")
	if err := flags.Parse(args); err != nil {
		return 2
	}
	if *asJSON && *check {
		fmt.Fprintln(stderr, "error: --json and --check print different reports; choose one")
		return 2
	}

	rec, cfg, err := render(*dir, *stackName, stderr)
	if err == nil && *deepRender {
		err = expand(rec, cfg, *dir)
	}
	if err != nil {
		fmt.Fprintf(stderr, "error: %v\n", err)
		return 1
	}
	if *check {
		return printCheck(stdout, rec, policy.Check(rec, policy.OptionsFor(cfg)))
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(rec); err != nil {
			fmt.Fprintf(stderr, "error: %v\n", err)
			return 1
		}
		return 0
	}
	printTree(stdout, *stackName, rec)
	return 0
}

// render loads and validates the stack's configuration, then runs the program under mocks. A configuration error
// stops it before the program declares anything.
func render(dir, stackName string, warnings io.Writer) (*mockcloud.Recording, *config.Config, error) {
	cfg, values, err := project.LoadConfig(dir, stackName)
	if err != nil {
		return nil, nil, err
	}
	for _, w := range cfg.Warnings(time.Now()) {
		fmt.Fprintf(warnings, "warning: %s\n", w)
	}
	rec, err := mockcloud.Run(config.Project, stackName, values, stack.Program)
	if err != nil {
		return nil, nil, err
	}
	if len(rec.Resources) == 0 {
		return nil, nil, errors.New("the program declared no resources")
	}
	return rec, cfg, nil
}

// expand adds what the remote components' own code creates (internal/deep): the objects of the Helm releases whose
// charts are available offline, and pulumi-eks's children from its npm package under Node mocks
// (tools/eks-harness). The yaml/v2 children are in every render already (internal/mockcloud).
func expand(rec *mockcloud.Recording, cfg *config.Config, dir string) error {
	charts, err := deep.ModuleCharts(dir)
	if err != nil {
		return err
	}
	if err := deep.Expand(rec, cfg.KubernetesVersion, charts); err != nil {
		return err
	}
	return deep.ExpandEKS(rec, cfg.Region, filepath.Join(dir, deep.HarnessDir))
}

// printCheck prints one line per violation and a summary, and returns the exit code: 1 when a rule is broken.
func printCheck(w io.Writer, rec *mockcloud.Recording, violations []policy.Violation) int {
	for _, v := range violations {
		fmt.Fprintln(w, v)
	}
	fmt.Fprintf(w, "policy: %d resources checked, %d violations\n", len(rec.Resources), len(violations))
	if len(violations) > 0 {
		return 1
	}
	return 0
}

// printTree prints resources indented under their parents, as `pulumi preview` lists them.
func printTree(w io.Writer, stackName string, rec *mockcloud.Recording) {
	children := map[string][]mockcloud.Resource{}
	for _, r := range rec.Resources {
		children[r.Parent] = append(children[r.Parent], r)
	}
	reads, helmObjects := 0, 0
	releases := map[string]bool{}
	for _, r := range rec.ByType(deep.ReleaseType) {
		releases[r.URN] = true
	}
	var walk func(parent string, depth int)
	walk = func(parent string, depth int) {
		for _, r := range children[parent] {
			// As in `pulumi preview`: "+" creates, ">" reads.
			op := "+"
			switch {
			case r.Read:
				op = ">"
				reads++
			case releases[r.Parent]:
				// Installed and deleted by Helm inside its release, not by the Pulumi engine.
				op = "h"
				helmObjects++
			}
			fmt.Fprintf(w, "%s%s %-45s %s\n", strings.Repeat("    ", depth), op, r.Type, r.Name)
			walk(r.URN, depth+1)
		}
	}
	// Top-level resources hang off the stack resource, which the mock engine does not record.
	fmt.Fprintf(w, "+ %-45s %s-%s\n", "pulumi:pulumi:Stack", config.Project, stackName)
	walk("", 1)
	fmt.Fprintf(w, "\nResources: %d to create, %d to read (stack %s, offline render under mocks)\n", len(rec.Resources)-reads-helmObjects, reads, stackName)
	if helmObjects > 0 {
		fmt.Fprintf(w, "Helm objects: %d (marked h), installed by the Helm releases above, rendered by Helm's Go SDK\n", helmObjects)
	}
	for _, note := range rec.Notes {
		fmt.Fprintf(w, "note: %s\n", note)
	}
	fmt.Fprintf(w, "\nOutputs:\n")
	names := make([]string, 0, len(rec.Outputs))
	for k := range rec.Outputs {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		b, _ := json.Marshal(rec.Outputs[k])
		fmt.Fprintf(w, "    %-18s %s\n", k, b)
	}
}
