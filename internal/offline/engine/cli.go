package engine

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/pulumi/pulumi/pkg/v3/resource/deploy"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"

	"github.com/karpenter-savings/karpenter-savings/internal/program/config"
	"github.com/karpenter-savings/karpenter-savings/internal/program/project"
)

// Main is cmd/render-plan, which `go run ./cmd/render --save-state FILE` and `--plan --state FILE` run: it parses
// args and returns the exit code.
func Main(args []string, stdout, stderr io.Writer) int {
	flags := flag.NewFlagSet("render-plan", flag.ContinueOnError)
	flags.SetOutput(stderr)
	stackName := flags.String("stack", "dev", "stack whose Pulumi.<stack>.yaml to use")
	dir := flags.String("dir", ".", "directory holding Pulumi.yaml")
	saveState := flags.String("save-state", "", "write the state an offline `pulumi up` of the stack leaves to FILE, in `pulumi stack export` format")
	planFlag := flags.Bool("plan", false, "plan the next `pulumi up` from --state with the working tree's configuration")
	statePath := flags.String("state", "", "a state written by --save-state or by `pulumi stack export` (with --plan)")
	asJSON := flags.Bool("json", false, "with --plan, print {steps: [{op, urn, type, keys, karpenter}]} in the engine's order")
	if err := flags.Parse(args); err != nil {
		return 2
	}
	usage := func(msg string) int {
		fmt.Fprintf(stderr, "error: %s\n", msg)
		return 2
	}
	switch {
	case flags.NArg() > 0:
		return usage(fmt.Sprintf("unexpected arguments %q", flags.Args()))
	case (*saveState == "") == !*planFlag:
		return usage("give one of --save-state FILE or --plan --state FILE")
	case *planFlag && *statePath == "":
		return usage("--plan needs --state FILE: a state written by --save-state or by `pulumi stack export`")
	case !*planFlag && (*statePath != "" || *asJSON):
		return usage("--state and --json go with --plan")
	}
	s, err := load(*dir, *stackName, stderr)
	if err == nil && *saveState != "" {
		err = save(s, *saveState)
		if err == nil {
			fmt.Fprintf(stdout, "wrote %s: the state an offline `pulumi up` of stack %s leaves\n", *saveState, *stackName)
		}
	}
	if err == nil && *planFlag {
		err = planFrom(s, *statePath, *asJSON, stdout)
	}
	if err != nil {
		fmt.Fprintf(stderr, "error: %v\n", err)
		return 1
	}
	return 0
}

// load reads and validates the stack's configuration, as `pulumi preview` would see it.
func load(dir, stackName string, warnings io.Writer) (Stack, error) {
	cfg, values, err := project.LoadConfig(dir, stackName)
	if err != nil {
		return Stack{}, err
	}
	for _, w := range cfg.Warnings(time.Now()) {
		fmt.Fprintf(warnings, "warning: %s\n", w)
	}
	return Stack{Project: config.Project, Name: stackName, Config: values}, nil
}

func save(s Stack, path string) error {
	snap, _, err := Up(s, nil)
	if err != nil {
		return err
	}
	f, err := os.Create(path) //nolint:gosec // G304: the path the user asked the state written to
	if err != nil {
		return err
	}
	if err := Save(f, snap); err != nil {
		_ = f.Close()
		return err
	}
	return f.Close()
}

// planFrom previews the next up from the state at path and prints it.
func planFrom(s Stack, path string, asJSON bool, w io.Writer) error {
	f, err := os.Open(path) //nolint:gosec // G304: the state file the user named
	if err != nil {
		return err
	}
	snap, err := Load(f)
	_ = f.Close()
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	if err := sameStack(s, snap); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	s.Account = AccountOf(snap)
	steps, err := Preview(s, snap)
	if err != nil {
		return err
	}
	if asJSON {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(struct {
			Steps []Step `json:"steps"`
		}{Steps: steps})
	}
	PrintPlan(w, steps)
	return nil
}

// sameStack refuses a state of another project or stack: its URNs would not match the program's, and the plan would
// delete and create everything.
func sameStack(s Stack, snap *deploy.Snapshot) error {
	for _, r := range snap.Resources {
		urn := resource.URN(r.URN)
		if !urn.IsValid() {
			continue
		}
		if string(urn.Stack()) != s.Name || string(urn.Project()) != s.Project {
			return fmt.Errorf("the state is of stack %s/%s (%s), not %s/%s: give --stack %s, or the state of this stack",
				urn.Project(), urn.Stack(), urn, s.Project, s.Name, urn.Stack())
		}
		return nil
	}
	return errors.New("the state holds no resource: plan from the state of a deployed stack")
}

// PrintPlan prints the steps that change something, in the engine's order, each with what it does to a running
// Karpenter, then a summary, as `pulumi preview` would.
func PrintPlan(w io.Writer, steps []Step) {
	counts := map[string]int{}
	for _, s := range steps {
		counts[s.Op]++
	}
	for _, s := range Changed(steps) {
		name := s.URN[strings.LastIndex(s.URN, "::")+2:]
		line := fmt.Sprintf("%-18s %-55s %s", s.Op, s.Type, name)
		if len(s.Keys) > 0 {
			line += fmt.Sprintf(" [replaced on %s]", strings.Join(s.Keys, ", "))
		}
		fmt.Fprintln(w, line)
		if s.Karpenter != "" {
			fmt.Fprintf(w, "%18s karpenter: %s\n", "", s.Karpenter)
		}
	}
	var parts []string
	for _, op := range []string{"create", "update", "replace", "delete"} {
		if counts[op] > 0 {
			parts = append(parts, fmt.Sprintf("%d to %s", counts[op], op))
		}
	}
	if counts["same"] > 0 {
		parts = append(parts, fmt.Sprintf("%d unchanged", counts["same"]))
	}
	if len(parts) == 0 {
		parts = []string{"no resources"}
	}
	fmt.Fprintf(w, "\nResources: %s (Pulumi's engine offline, from the saved state; no refresh: drift made outside Pulumi is not seen)\n",
		strings.Join(parts, ", "))
}
