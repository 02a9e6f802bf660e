package mocks

import (
	"cmp"
	"encoding/json"
	"fmt"
	"maps"
	"slices"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// Program is a Pulumi program that returns its stack outputs instead of exporting them, so that a caller can
// both export and record them.
type Program func(ctx *pulumi.Context) (map[string]pulumi.Output, error)

// Option changes the mocks a Run uses.
type Option func(*Mocks)

// WithConstructor constructs the remote components of type token with c.
func WithConstructor(token string, c Constructor) Option {
	return func(m *Mocks) { m.constructors[token] = c }
}

// WithDryRun runs the program as `pulumi preview` does: ctx.DryRun() is true, so a program that reads only during
// an update (sampleapp's Service) skips the read.
func WithDryRun() Option { return func(m *Mocks) { m.dryRun = true } }

// WithAccount runs against an account where a, rather than nothing, exists already.
func WithAccount(a Account) Option { return func(m *Mocks) { m.Account = a } }

// DefaultRegion is the region RunFunc runs in.
const DefaultRegion = "us-east-1"

// RunFunc runs fn under the mocks in DefaultRegion, as Run runs the stack, and returns everything it declared: the
// harness of a component's tests, where fn declares the component and stand-ins for what it needs. A test that
// asserts outputs uses Run with a Program that returns them, and reads them from Recording.Outputs.
func RunFunc(project, stack string, fn func(ctx *pulumi.Context) error, opts ...Option) (*Recording, error) {
	return Run(project, stack, map[string]string{"aws:region": DefaultRegion}, func(ctx *pulumi.Context) (map[string]pulumi.Output, error) {
		return nil, fn(ctx)
	}, opts...)
}

// Run executes program under the mocks with config (fully qualified keys, as internal/program/project returns them) and
// returns everything it declared. RunErr waits for every output, so the recording is complete when it returns.
func Run(project, stack string, config map[string]string, program Program, opts ...Option) (*Recording, error) {
	m := New(config["aws:region"])
	for _, opt := range opts {
		opt(m)
	}
	withConfig := func(info *pulumi.RunInfo) {
		info.Config = maps.Clone(config)
		info.DryRun = m.dryRun
	}
	err := pulumi.RunErr(func(ctx *pulumi.Context) error {
		outputs, err := program(ctx)
		if err != nil {
			return err
		}
		for name, out := range outputs {
			ctx.Export(name, out)
			secret := pulumi.IsSecret(out)
			out.ApplyT(func(v any) any {
				if secret {
					v = "[secret]"
				}
				m.Recording.mu.Lock()
				m.Recording.Outputs[name] = v
				m.Recording.mu.Unlock()
				return v
			})
		}
		return nil
	}, pulumi.WithMocks(project, stack, m), withConfig)
	// Registration is concurrent; sort so that two renders of one config print the same bytes.
	slices.SortFunc(m.Recording.Resources, func(a, b Resource) int {
		return cmp.Or(cmp.Compare(a.Name, b.Name), cmp.Compare(a.Type, b.Type))
	})
	if err != nil {
		return m.Recording, fmt.Errorf("stack %s: %w", stack, err)
	}
	if err := m.Construct(project, stack); err != nil {
		return m.Recording, fmt.Errorf("stack %s: %w", stack, err)
	}
	// Outputs hold the program's Go values ([]string, structs); give them the JSON shape inputs have.
	b, err := json.Marshal(m.Recording.Outputs)
	if err != nil {
		return m.Recording, fmt.Errorf("stack %s: encoding outputs: %w", stack, err)
	}
	m.Recording.Outputs = map[string]any{}
	if err := json.Unmarshal(b, &m.Recording.Outputs); err != nil {
		return m.Recording, fmt.Errorf("stack %s: decoding outputs: %w", stack, err)
	}
	return m.Recording, nil
}
