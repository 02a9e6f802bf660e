// Package engine runs the stack's real program under Pulumi's own engine (pkg/v3 v3.274.1, the SDK's version),
// in-process, with in-process providers for aws, eks and kubernetes that answer from the offline mocks
// (internal/offline/mocks) and diff from the providers' replace rules (rules.go, each table beside its citation). The
// engine, not this package, decides replace modes, dependent replacements, ordering and deletes: an update, a
// preview of the next update from a saved state, and a destroy are planned exactly as `pulumi up`, `pulumi preview`
// and `pulumi destroy` plan them, less what only the cloud knows (no refresh: drift made outside Pulumi is not seen).
//
// It links Pulumi's engine: the program and cmd/render must not import it (cmd/render-plan does).
package engine

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/pulumi/pulumi/pkg/v3/display"
	pkgengine "github.com/pulumi/pulumi/pkg/v3/engine"
	"github.com/pulumi/pulumi/pkg/v3/engine/lifecycletest/framework"
	pkgresource "github.com/pulumi/pulumi/pkg/v3/resource"
	"github.com/pulumi/pulumi/pkg/v3/resource/deploy"
	"github.com/pulumi/pulumi/pkg/v3/resource/deploy/deploytest"
	"github.com/pulumi/pulumi/pkg/v3/resource/plugin"
	pstack "github.com/pulumi/pulumi/pkg/v3/resource/stack"
	"github.com/pulumi/pulumi/pkg/v3/secrets"
	"github.com/pulumi/pulumi/pkg/v3/secrets/b64"
	"github.com/pulumi/pulumi/sdk/v3/go/common/apitype"
	"github.com/pulumi/pulumi/sdk/v3/go/common/diag"
	"github.com/pulumi/pulumi/sdk/v3/go/common/diag/colors"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/config"
	"github.com/pulumi/pulumi/sdk/v3/go/common/tokens"
	"github.com/pulumi/pulumi/sdk/v3/go/common/workspace"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/karpenter-savings/karpenter-savings/internal/offline/mocks"
	"github.com/karpenter-savings/karpenter-savings/internal/program/pulumik8s"
	"github.com/karpenter-savings/karpenter-savings/internal/program/stack"
)

// Stack is what a run needs: the project, the stack's name and its configuration (fully qualified keys, as
// internal/program/project.LoadConfig returns them).
type Stack struct {
	Project string
	Name    string
	Config  map[string]string
	// Account is what exists in the mocked account before the run (as mocks.WithAccount).
	Account mocks.Account
}

// Step is one step of the engine, in the order the engine ran it.
type Step struct {
	// Op is the engine's name for it: same, create, update, replace, create-replacement, delete-replaced, delete, read...
	Op   string `json:"op"`
	URN  string `json:"urn"`
	Type string `json:"type"`
	// Keys are the inputs that force a replacement (replace steps only).
	Keys []string `json:"keys,omitempty"`
	// Karpenter is what the step does to a running Karpenter, for the steps that touch it.
	Karpenter string `json:"karpenter,omitempty"`
}

// Up runs `pulumi up` from base (nil: a new stack) and returns the state it leaves and its steps.
func Up(s Stack, base *deploy.Snapshot) (*deploy.Snapshot, []Step, error) {
	return run(s, base, pkgengine.Update, false)
}

// Preview runs `pulumi preview` from base and returns the steps the next `pulumi up` takes. Plan from a saved state
// with s.Account set to AccountOf(base), as the real account then answers the program's lookups.
func Preview(s Stack, base *deploy.Snapshot) ([]Step, error) {
	_, steps, err := run(s, base, pkgengine.Update, true)
	return steps, err
}

// Destroy runs `pulumi destroy` on base and returns its steps.
func Destroy(s Stack, base *deploy.Snapshot) ([]Step, error) {
	_, steps, err := run(s, base, pkgengine.Destroy, false)
	return steps, err
}

// run drives one engine operation with the framework's harness (pkg/engine/lifecycletest/framework, TestOp), which
// journals the steps and rebuilds the snapshot as the CLI's backends do.
func run(s Stack, base *deploy.Snapshot, op framework.TestOp, dryRun bool) (*deploy.Snapshot, []Step, error) {
	m := mocks.New(s.Config["aws:region"])
	m.Account = s.Account
	var logs bytes.Buffer
	sink := diag.DefaultSink(&logs, &logs, diag.FormatOptions{Color: colors.Never})
	var engineAddr string
	program := deploytest.NewLanguageRuntimeF(func(info plugin.RunInfo, _ *deploytest.ResourceMonitor) error {
		ctx, err := pulumi.NewContext(context.Background(), pulumi.RunInfo{
			Project: info.Project, Stack: info.Stack, Config: maps.Clone(s.Config), Parallel: info.Parallel,
			DryRun: info.DryRun, MonitorAddr: info.MonitorAddress, EngineAddr: engineAddr,
		})
		if err != nil {
			return err
		}
		return pulumi.RunWithContext(ctx, stack.Run)
	})
	inner := deploytest.NewPluginHostF(sink, sink, program, nil, nil, loaders(m)...)
	// plugin.RunInfo carries no engine address, and the program's ctx.Log needs one: take it from the host.
	hostF := func() plugin.Host {
		h := inner()
		engineAddr = h.ServerAddr()
		return h
	}
	cfg := config.Map{}
	for k, v := range s.Config {
		key, err := config.ParseKey(k)
		if err != nil {
			return nil, nil, fmt.Errorf("engine: configuration key %q: %w", k, err)
		}
		cfg[key] = config.NewValue(v)
	}
	stackName, err := tokens.ParseStackName(s.Name)
	if err != nil {
		return nil, nil, fmt.Errorf("engine: stack name %q: %w", s.Name, err)
	}
	project := workspace.Project{Name: tokens.PackageName(s.Project), Runtime: workspace.NewProjectRuntimeInfo("go", nil)}
	target := deploy.Target{Name: stackName, Config: cfg, Snapshot: clone(base)}
	t := &tb{}
	var steps []Step
	validate := func(_ workspace.Project, _ deploy.Target, _ pkgengine.JournalEntries, events []pkgengine.Event, err error) error {
		steps = stepsOf(events)
		return err
	}
	opts := framework.TestUpdateOptions{T: t, HostF: hostF, SkipDisplayTests: true}
	var snap *deploy.Snapshot
	err = t.guard(func() error {
		var err error
		snap, err = op.RunStep(project, target, opts, dryRun, nil, validate, "")
		return err
	})
	if err != nil {
		return nil, steps, fmt.Errorf("engine: %w%s", err, t.diagnostics(err, logs.String()))
	}
	return snap, steps, nil
}

// clone copies a snapshot: the engine changes the one it is given, even in a preview.
func clone(snap *deploy.Snapshot) *deploy.Snapshot {
	if snap == nil {
		return nil
	}
	c := *snap
	c.Resources = make([]*pkgresource.State, len(snap.Resources))
	for i, r := range snap.Resources {
		c.Resources[i] = r.Copy()
	}
	return &c
}

// stepsOf turns the engine's resource pre-events, which it sends as it starts each step, into steps.
func stepsOf(events []pkgengine.Event) []Step {
	var out []Step
	charts := map[string]string{}
	for _, e := range events {
		if e.Type != pkgengine.ResourcePreEvent {
			continue
		}
		meta := e.Payload().(pkgengine.ResourcePreEventPayload).Metadata
		if meta.Type == resource.RootStackType {
			continue
		}
		s := Step{Op: string(meta.Op), URN: string(meta.URN), Type: string(meta.Type)}
		if meta.Op == deploy.OpReplace || meta.Op == deploy.OpCreateReplacement || meta.Op == deploy.OpDeleteReplaced {
			for _, k := range meta.Keys {
				s.Keys = append(s.Keys, string(k))
			}
		}
		for _, st := range []*pkgengine.StepEventStateMetadata{meta.Old, meta.New} {
			if st != nil && st.State != nil {
				if v, ok := st.State.Inputs["chart"]; ok && v.IsString() {
					charts[s.URN] = v.StringValue()
				}
			}
		}
		out = append(out, s)
	}
	for i, s := range out {
		deleteFirst := s.Op == string(deploy.OpDeleteReplaced) && Index(out, deploy.OpCreateReplacement, s.URN) > i
		out[i].Karpenter = karpenterEffect(s, charts[s.URN], deleteFirst)
	}
	return out
}

// karpenterEffect says what a step does to a running Karpenter: only the steps that remove something (a delete, or
// the old half of a replacement) have an effect; deleteFirst marks the old half of a delete-before-replace, which
// runs before its replacement exists.
func karpenterEffect(s Step, chart string, deleteFirst bool) string {
	deleted := s.Op == string(deploy.OpDelete)
	if !deleted && s.Op != string(deploy.OpDeleteReplaced) {
		return ""
	}
	switch {
	case s.Type == pulumik8s.ReleaseType && strings.HasSuffix(chart, "/karpenter"):
		switch {
		case deleteFirst:
			return "controller down: no node is launched, consolidated or terminated, and no interruption handled, until the new release runs"
		case deleted:
			return "controller uninstalled: a NodePool or EC2NodeClass deleted after this waits on NodeClaim finalizers no controller removes"
		}
		return "old controller uninstalled once the new one runs"
	case s.Type == pulumik8s.ReleaseType && strings.HasSuffix(chart, "/karpenter-crd"):
		return "CRD release uninstalled: its CRDs are kept (helm.sh/resource-policy: keep), and with them every NodePool and NodeClaim"
	case s.Type == mocks.TypeNodePool:
		return "pool drained: Karpenter cordons, drains and terminates every node of this NodePool"
	case s.Type == mocks.TypeEC2NodeClass:
		return "nodes replaced: the NodeClaims of this EC2NodeClass are deleted, their nodes drained and terminated"
	case s.Type == mocks.TypeNodeGroup && deleteFirst:
		return "controller down: its node group is deleted before the new one has nodes"
	case s.Type == mocks.TypeNodeGroup:
		return "controller moves: EKS drains the old group's nodes, and its pods start on the new group's"
	case s.Type == mocks.TypeKubernetesProvider && deleteFirst:
		return "every object on this provider was deleted before it (NodePools before the controller), and is created again after"
	case s.Type == mocks.TypeAWSEKSCluster:
		return "control plane deleted: nodes Karpenter launched and no NodePool delete terminated are left running"
	case s.Type == mocks.TypePodIdentityAssociation && deleteFirst:
		return "controller loses its AWS credentials until the new association exists"
	}
	return ""
}

// AccountOf is what the account holds once base's resources exist, as the program's lookups see it at preview: the
// EKS clusters and the EC2 Spot service-linked role the state records. Access entries made outside the stack are not
// in a state, and none is assumed.
func AccountOf(base *deploy.Snapshot) mocks.Account {
	var a mocks.Account
	if base == nil {
		return a
	}
	for _, r := range base.Resources {
		switch {
		case r.Delete:
		case string(r.Type) == mocks.TypeAWSEKSCluster:
			if name, ok := r.Outputs["name"]; ok && name.IsString() {
				a.Clusters = append(a.Clusters, name.StringValue())
			}
		case string(r.Type) == mocks.TypeServiceLinkedRole:
			a.SpotRoleExists = true
		}
	}
	return a
}

// Save writes snap as `pulumi stack export` writes it (an apitype.UntypedDeployment, version 3).
func Save(w io.Writer, snap *deploy.Snapshot) error {
	if snap.SecretsManager == nil {
		snap.SecretsManager = b64.NewBase64SecretsManager()
	}
	d, err := pstack.SerializeDeployment(context.Background(), snap, false)
	if err != nil {
		return fmt.Errorf("engine: serializing the state: %w", err)
	}
	raw, err := json.Marshal(d)
	if err != nil {
		return fmt.Errorf("engine: encoding the state: %w", err)
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "    ")
	return enc.Encode(apitype.UntypedDeployment{Version: 3, Deployment: raw})
}

// Load reads a state written by Save or by `pulumi stack export`. Secrets encrypted by a passphrase or a cloud key
// cannot be read offline: such a state is refused with the reason.
func Load(r io.Reader) (*deploy.Snapshot, error) {
	var u apitype.UntypedDeployment
	dec := json.NewDecoder(r)
	if err := dec.Decode(&u); err != nil {
		return nil, fmt.Errorf("engine: reading the state (a `pulumi stack export` file): %w", err)
	}
	if u.Version == 0 || len(u.Deployment) == 0 {
		return nil, errors.New("engine: the state has no version or no deployment: not a `pulumi stack export` file")
	}
	snap, err := pstack.DeserializeUntypedDeployment(context.Background(), &u, offlineSecrets{})
	if err != nil {
		return nil, fmt.Errorf("engine: reading the state: %w", err)
	}
	return snap, nil
}

// Unreadable is what a secret of a state encrypted by a passphrase or a cloud key reads as offline
// (config.BlindingCrypter's value): `pulumi stack export --show-secrets` writes them readable.
const Unreadable = "[secret]"

// offlineSecrets reads the secrets of a state: base64 ones (Save's, the engine's test harness') as they are, others
// as Unreadable, since their key is not here.
type offlineSecrets struct{}

// OfType implements secrets.Provider.
func (offlineSecrets) OfType(ctx context.Context, ty string, state json.RawMessage) (secrets.Manager, error) {
	if ty == b64.Type {
		return pstack.Base64SecretsProvider{}.OfType(ctx, ty, state)
	}
	return unreadableSecrets{ty: ty, state: state}, nil
}

// unreadableSecrets is a secrets manager without its key.
type unreadableSecrets struct {
	ty    string
	state json.RawMessage
}

func (u unreadableSecrets) Type() string                { return u.ty }
func (u unreadableSecrets) State() json.RawMessage      { return u.state }
func (u unreadableSecrets) Encrypter() config.Encrypter { return config.BlindingCrypter }
func (u unreadableSecrets) Decrypter() config.Decrypter { return unreadableDecrypter{} }

// unreadableDecrypter decrypts every secret to Unreadable. A state's secret plaintext is the JSON of its value
// (pkg/resource/stack, DeserializePropertyValue), so the string is returned JSON-encoded.
type unreadableDecrypter struct{}

func (unreadableDecrypter) DecryptValue(context.Context, string) (string, error) {
	return strconv.Quote(Unreadable), nil
}

func (d unreadableDecrypter) BatchDecrypt(ctx context.Context, ciphertexts []string) ([]string, error) {
	out := make([]string, len(ciphertexts))
	for i := range ciphertexts {
		out[i], _ = d.DecryptValue(ctx, ciphertexts[i])
	}
	return out, nil
}

// Changed returns the steps that change something in the cloud: not same, read, or discard (a read resource the
// program no longer reads, e.g. the sample app's Service, read only during an update, is dropped from the state).
func Changed(steps []Step) []Step {
	return slices.DeleteFunc(slices.Clone(steps), func(s Step) bool {
		return s.Op == string(deploy.OpSame) || s.Op == string(deploy.OpRead) || s.Op == string(deploy.OpReadDiscard)
	})
}

// Index returns the position of the first step with op on urn, or -1.
func Index(steps []Step, op display.StepOp, urn string) int {
	return slices.IndexFunc(steps, func(s Step) bool { return s.Op == string(op) && s.URN == urn })
}

// tb is the framework's test handle outside a test: it records failures and stops the run on a fatal one.
type tb struct {
	mu     sync.Mutex
	errs   []string
	logs   []string
	failed bool
}

type stop struct{}

func (t *tb) guard(f func() error) (err error) {
	defer func() {
		if r := recover(); r != nil {
			if _, ok := r.(stop); !ok {
				panic(r)
			}
			err = errors.New(strings.Join(t.errs, "; "))
		}
	}()
	err = f()
	if err == nil && t.Failed() {
		err = errors.New(strings.Join(t.errs, "; "))
	}
	return err
}

// diagnostics are the engine's error lines and the host's log that err does not already say, without the display's
// colour markup: the program's own error reaches the user once, as its text.
func (t *tb) diagnostics(err error, logs string) string {
	t.mu.Lock()
	defer t.mu.Unlock()
	said := err.Error()
	var lines []string
	for _, l := range t.logs {
		l = strings.TrimSpace(colors.Never.Colorize(l))
		if !strings.HasPrefix(l, "error") {
			continue
		}
		if text := strings.TrimSpace(strings.TrimPrefix(l, "error:")); text != "" && !strings.Contains(said, firstLine(text)) {
			lines = append(lines, l)
		}
	}
	if logs = strings.TrimSpace(colors.Never.Colorize(logs)); logs != "" && !strings.Contains(said, firstLine(logs)) {
		lines = append(lines, logs)
	}
	if len(lines) == 0 {
		return ""
	}
	return "\n" + strings.Join(lines, "\n")
}

// firstLine is s up to its first line break.
func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}

func (t *tb) Helper()      {}
func (t *tb) Name() string { return "engine" }
func (t *tb) Logf(format string, args ...any) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.logs = append(t.logs, fmt.Sprintf(format, args...))
}
func (t *tb) Log(args ...any) { t.Logf("%s", fmt.Sprint(args...)) }
func (t *tb) Skipf(format string, args ...any) {
	t.Errorf(format, args...)
	t.FailNow()
}
func (t *tb) Skip(args ...any) { t.Skipf("%s", fmt.Sprint(args...)) }
func (t *tb) SkipNow()         { t.FailNow() }
func (t *tb) Errorf(format string, args ...any) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.failed = true
	t.errs = append(t.errs, fmt.Sprintf(format, args...))
}
func (t *tb) Error(args ...any) { t.Errorf("%s", fmt.Sprint(args...)) }
func (t *tb) Fatalf(format string, args ...any) {
	t.Errorf(format, args...)
	t.FailNow()
}
func (t *tb) Fatal(args ...any) { t.Fatalf("%s", fmt.Sprint(args...)) }
func (t *tb) FailNow() {
	t.Fail()
	panic(stop{})
}
func (t *tb) Fail() {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.failed = true
}
func (t *tb) Failed() bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.failed
}
