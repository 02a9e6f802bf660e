// Package render is the offline render's command line, shared by cmd/render, which links no engine, and
// cmd/render-deep, which adds the engines: pulumi-kubernetes' yaml/v2 code, Helm's Go SDK, pulumi-eks's npm package
// and the policy rules. Without engines, --deep and --check run cmd/render-deep from the module's source directory.
package render

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"time"

	"github.com/karpenter-savings/karpenter-savings/internal/offline/mocks"
	"github.com/karpenter-savings/karpenter-savings/internal/program/config"
	"github.com/karpenter-savings/karpenter-savings/internal/program/project"
	"github.com/karpenter-savings/karpenter-savings/internal/program/pulumik8s"
	"github.com/karpenter-savings/karpenter-savings/internal/program/stack"
)

// Engines are what the deep render adds to the default one.
type Engines struct {
	// Options make the mocks construct remote components with their providers' code (yaml/v2).
	Options []mocks.Option
	// Expand adds what the Helm releases install and what pulumi-eks creates; root is the module's directory.
	Expand func(rec *mocks.Recording, cfg *config.Config, root string) error
	// Check runs the policy rules on the render, prints one line per violation and a summary, and returns the exit
	// code: 1 when a rule is broken.
	Check func(w io.Writer, rec *mocks.Recording, cfg *config.Config) int
}

// DeepCommand is the package, relative to the module's directory, that runs the render with its engines.
const DeepCommand = "./cmd/render-deep"

// PlanCommand is the package, relative to the module's directory, that runs the program under Pulumi's own engine
// for --save-state and --plan (internal/offline/engine).
const PlanCommand = "./cmd/render-plan"

// Main is the command: it parses args and returns the exit code. engines is nil in cmd/render.
func Main(args []string, stdout, stderr io.Writer, engines *Engines) int {
	flags := flag.NewFlagSet("render", flag.ContinueOnError)
	flags.SetOutput(stderr)
	stackName := flags.String("stack", "dev", "stack whose Pulumi.<stack>.yaml to render")
	asJSON := flags.Bool("json", false, "print one JSON object {resources, outputs} instead of a tree")
	check := flags.Bool("check", false, "run the policy rules on the deep render instead of printing it; exit 1 on any violation")
	dir := flags.String("dir", ".", "directory holding Pulumi.yaml")
	deepRender := flags.Bool("deep", false, "also show what the remote components create: the yaml/v2 ConfigFile's objects (pulumi-kubernetes' code), "+
		"what the Helm releases install (Helm's Go SDK, charts available offline) and what pulumi-eks creates (its npm package under Node mocks; "+
		"needs `make deep-deps`); runs "+DeepCommand)
	saveState := flags.String("save-state", "", "write the state an offline `pulumi up` of the stack leaves to FILE, in `pulumi stack export` format "+
		"(Pulumi's own engine, in-process; runs "+PlanCommand+")")
	planFlag := flags.Bool("plan", false, "plan the next `pulumi up` from --state FILE with the working tree's configuration, as Pulumi's engine "+
		"plans it, and say what each replacement does to a running Karpenter; with --json, {steps: [{op, urn, type}]}; runs "+PlanCommand)
	statePath := flags.String("state", "", "with --plan: a state written by --save-state or by `pulumi stack export`")
	if err := flags.Parse(args); err != nil {
		return 2
	}
	if *saveState != "" || *planFlag || *statePath != "" {
		if *deepRender || *check {
			fmt.Fprintln(stderr, "error: --save-state and --plan run Pulumi's engine on the program, not the deep render: drop --deep and --check")
			return 2
		}
		absDir, dirErr := filepath.Abs(*dir)
		if dirErr != nil {
			fmt.Fprintf(stderr, "error: %v\n", dirErr)
			return 1
		}
		planArgs := []string{"--stack", *stackName, "--dir", absDir}
		if *saveState != "" {
			planArgs = append(planArgs, "--save-state", absPath(*saveState))
		}
		if *planFlag {
			planArgs = append(planArgs, "--plan")
		}
		if *statePath != "" {
			planArgs = append(planArgs, "--state", absPath(*statePath))
		}
		if *asJSON {
			planArgs = append(planArgs, "--json")
		}
		return goRun(PlanCommand, planArgs, stdout, stderr)
	}
	if flags.NArg() > 0 {
		fmt.Fprintf(stderr, "error: unexpected arguments %q\n", flags.Args())
		return 2
	}
	if *asJSON && *check {
		fmt.Fprintln(stderr, "error: --json and --check print different reports; choose one")
		return 2
	}
	if (*deepRender || *check) && engines == nil {
		return delegate(*stackName, *dir, *asJSON, *check, stdout, stderr)
	}

	rec, cfg, err := load(*dir, *stackName, stderr, engines)
	if err == nil && engines != nil {
		var root string
		if root, err = ModuleRoot(); err == nil {
			err = engines.Expand(rec, cfg, root)
		}
	}
	if err != nil {
		fmt.Fprintf(stderr, "error: %v\n", err)
		return 1
	}
	if *check {
		return engines.Check(stdout, rec, cfg)
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
	PrintTree(stdout, *stackName, rec)
	return 0
}

// load loads and validates the stack's configuration, then runs the program under mocks. A configuration error
// stops it before the program declares anything.
func load(dir, stackName string, warnings io.Writer, engines *Engines) (*mocks.Recording, *config.Config, error) {
	cfg, values, err := project.LoadConfig(dir, stackName)
	if err != nil {
		return nil, nil, err
	}
	for _, w := range cfg.Warnings(time.Now()) {
		fmt.Fprintf(warnings, "warning: %s\n", w)
	}
	var opts []mocks.Option
	if engines != nil {
		opts = engines.Options
	}
	rec, err := mocks.Run(config.Project, stackName, values, stack.Program, opts...)
	if err != nil {
		return nil, nil, err
	}
	if len(rec.Resources) == 0 {
		return nil, nil, errors.New("the program declared no resources")
	}
	return rec, cfg, nil
}

// delegate runs the deep render (`go run ./cmd/render-deep` in the module's directory) with the same flags, --dir
// made absolute so that it names the same directory from there, and returns its exit code.
func delegate(stackName, dir string, asJSON, check bool, stdout, stderr io.Writer) int {
	dir, err := filepath.Abs(dir)
	if err != nil {
		fmt.Fprintf(stderr, "error: %v\n", err)
		return 1
	}
	args := []string{"--deep", "--stack", stackName, "--dir", dir}
	if asJSON {
		args = append(args, "--json")
	}
	if check {
		args = append(args, "--check")
	}
	return goRun(DeepCommand, args, stdout, stderr)
}

// absPath makes a file argument name the same file from the module's directory, where goRun runs.
func absPath(path string) string {
	if abs, err := filepath.Abs(path); err == nil {
		return abs
	}
	return path
}

// goRun runs `go run command args...` in the module's directory and returns its exit code.
func goRun(command string, args []string, stdout, stderr io.Writer) int {
	root, err := ModuleRoot()
	if err != nil {
		fmt.Fprintf(stderr, "error: %v\n", err)
		return 1
	}
	cmd := exec.Command("go", append([]string{"run", command}, args...)...) //nolint:gosec // G204: the go command on this module's own package; the flags were parsed
	cmd.Dir = root
	cmd.Stdout, cmd.Stderr = stdout, stderr
	if err := cmd.Run(); err != nil {
		var exit *exec.ExitError
		if errors.As(err, &exit) {
			return exit.ExitCode()
		}
		fmt.Fprintf(stderr, "error: running %s: %v\n", command, err)
		return 1
	}
	return 0
}

// ModuleRoot is the module's source directory, where go.mod, the deep render's command and the pulumi-eks harness
// are: the directory this file was compiled from, two levels up. A binary built with -trimpath, or moved to another
// machine, has no such directory; the deep render then needs a checkout.
func ModuleRoot() (string, error) {
	_, file, _, ok := runtime.Caller(0)
	if ok && filepath.IsAbs(file) {
		// The nearest directory above this file that holds a go.mod: tools/eks-harness has its own, but this file
		// is not under it.
		for dir := filepath.Dir(file); dir != filepath.Dir(dir); dir = filepath.Dir(dir) {
			if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
				return dir, nil
			}
		}
	}
	return "", errors.New("the deep render runs from the module's source directory, which this binary does not know (built with -trimpath or moved): run it from a checkout with `go run ./cmd/render --deep`")
}

// PrintTree prints resources indented under their parents, as `pulumi preview` lists them.
func PrintTree(w io.Writer, stackName string, rec *mocks.Recording) {
	children := map[string][]mocks.Resource{}
	for _, r := range rec.Resources {
		children[r.Parent] = append(children[r.Parent], r)
	}
	reads, helmObjects := 0, 0
	releases := map[string]bool{}
	for _, r := range rec.ByType(pulumik8s.ReleaseType) {
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
