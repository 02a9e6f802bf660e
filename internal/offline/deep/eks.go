package deep

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"

	"github.com/karpenter-savings/karpenter-savings/internal/offline/mocks"
)

// HarnessDir is where the pulumi-eks harness lives, relative to the project directory.
const HarnessDir = "tools/eks-harness"

// EKSClusterType is the token of pulumi-eks' Cluster component.
const EKSClusterType = mocks.TypeEKSCluster

// eksNotePrefix starts every note the pulumi-eks harness adds to a recording.
const eksNotePrefix = "pulumi-eks 2.8.1: "

// harnessTimeout bounds one harness run; it takes a few seconds (most of it `aws --version`).
const harnessTimeout = 5 * time.Minute

// harnessInput is what tools/eks-harness/harness.js reads on stdin.
type harnessInput struct {
	Project string         `json:"project"`
	Stack   string         `json:"stack"`
	Region  string         `json:"region"`
	Name    string         `json:"name"`
	Inputs  map[string]any `json:"inputs"`
	// References are what the recording knows of the resources the inputs refer to ("[resource URN]").
	References map[string]harnessReference `json:"references,omitempty"`
	Account    harnessAccount              `json:"account"`
}

type harnessReference struct {
	Type         string         `json:"type"`
	PhysicalName string         `json:"physicalName,omitempty"`
	Inputs       map[string]any `json:"inputs,omitempty"`
}

// harnessAccount is the mocked account, so that the children agree with the rest of the render.
type harnessAccount struct {
	AccountID                string `json:"accountId"`
	Partition                string `json:"partition"`
	ClusterEndpoint          string `json:"clusterEndpoint"`
	ClusterSecurityGroupID   string `json:"clusterSecurityGroupId"`
	CertificateAuthorityData string `json:"certificateAuthorityData,omitempty"`
}

// harnessOutput is what harness.js prints.
type harnessOutput struct {
	Resources []mocks.Resource `json:"resources"`
	Notes     []string         `json:"notes"`
}

// ExpandEKS runs the pulumi-eks harness in harnessDir (tools/eks-harness, with node_modules installed by
// `npm ci --ignore-scripts`) for every eks:index:Cluster in rec and inserts the children it registers into
// rec.Resources right after that cluster (state order: a remote component's children are registered during its
// construction), with URNs rewritten so they sit under the recorded component: the harness roots them at
// urn:pulumi:<stack>::<project>::eks:index:Cluster$..., which becomes the recorded component's stack, project and
// type chain. The harness's notes are appended to rec.Notes, each prefixed with "pulumi-eks 2.8.1: ".
func ExpandEKS(rec *mocks.Recording, region, harnessDir string) error {
	if len(rec.ByType(EKSClusterType)) == 0 {
		return nil
	}
	if region == "" {
		return errors.New("deep: ExpandEKS needs the stack's AWS region")
	}
	node, err := exec.LookPath("node")
	if err != nil {
		return fmt.Errorf("deep: the pulumi-eks harness needs Node.js (node on PATH): %w; install Node.js, then run `make deep` (or `npm ci --ignore-scripts --prefix %s`)", err, harnessDir)
	}
	if _, err := os.Stat(filepath.Join(harnessDir, "node_modules", "@pulumi", "eks", "package.json")); err != nil {
		return fmt.Errorf("deep: %s has no node_modules/@pulumi/eks: run `make deep` (or `npm ci --ignore-scripts --prefix %s`)", harnessDir, harnessDir)
	}
	account, err := mockAccount(region)
	if err != nil {
		return err
	}
	out := make([]mocks.Resource, 0, len(rec.Resources))
	var notes []string
	added := map[string]bool{}
	for _, r := range rec.Resources {
		out = append(out, r)
		if r.Type != EKSClusterType {
			continue
		}
		children, harnessNotes, err := runHarness(node, harnessDir, rec, r, region, account)
		if err != nil {
			return err
		}
		for _, c := range children {
			added[c.URN] = true
		}
		out = append(out, children...)
		for _, n := range harnessNotes {
			n = eksNotePrefix + n
			if !slices.Contains(rec.Notes, n) && !slices.Contains(notes, n) {
				notes = append(notes, n)
			}
		}
	}
	rec.Resources = out
	rec.Notes = append(rec.Notes, notes...)
	// The engine runs the transforms the program registered on the component (and its ancestors) on each child
	// the component's code registers; with every child in place, each one's chain of parents is known.
	for i, r := range rec.Resources {
		if !added[r.URN] {
			continue
		}
		t, err := rec.Transform(r)
		if err != nil {
			return fmt.Errorf("deep: %s %s: %w", r.Type, r.Name, err)
		}
		rec.Resources[i] = t
	}
	return nil
}

// runHarness constructs one recorded eks:index:Cluster with pulumi-eks' code and returns its children re-rooted
// under it.
func runHarness(node, harnessDir string, rec *mocks.Recording, cluster mocks.Resource, region string, account harnessAccount) ([]mocks.Resource, []string, error) {
	urn := resource.URN(cluster.URN)
	if !urn.IsValid() {
		return nil, nil, fmt.Errorf("deep: %s %s has no valid URN (%q)", EKSClusterType, cluster.Name, cluster.URN)
	}
	in := harnessInput{
		Project: string(urn.Project()),
		Stack:   string(urn.Stack()),
		Region:  region,
		Name:    cluster.Name,
		Inputs:  cluster.Inputs,
		Account: account,
	}
	for _, ref := range references(cluster.Inputs) {
		if in.References == nil {
			in.References = map[string]harnessReference{}
		}
		hr := harnessReference{Type: string(resource.URN(ref).Type())}
		if r, ok := rec.ByURN(ref); ok {
			hr = harnessReference{Type: r.Type, PhysicalName: r.PhysicalName, Inputs: r.Inputs}
		}
		in.References[ref] = hr
	}
	stdin, err := json.Marshal(in)
	if err != nil {
		return nil, nil, fmt.Errorf("deep: %s %s: encoding the harness input: %w", EKSClusterType, cluster.Name, err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), harnessTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, "harness.js")
	cmd.Dir = harnessDir
	cmd.Stdin = bytes.NewReader(stdin)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return nil, nil, fmt.Errorf("deep: %s %s: pulumi-eks harness (node %s): %w: %s", EKSClusterType, cluster.Name,
			filepath.Join(harnessDir, "harness.js"), err, strings.TrimSpace(stderr.String()))
	}
	var got harnessOutput
	if err := json.Unmarshal(stdout.Bytes(), &got); err != nil {
		return nil, nil, fmt.Errorf("deep: %s %s: reading the harness output: %w", EKSClusterType, cluster.Name, err)
	}
	harnessURN := string(resource.NewURN(urn.Stack(), urn.Project(), "", EKSClusterType, cluster.Name))
	children := make([]mocks.Resource, 0, len(got.Resources))
	for _, c := range got.Resources {
		child, err := reroot(c, harnessURN, cluster.URN)
		if err != nil {
			return nil, nil, fmt.Errorf("deep: %s %s: %w", EKSClusterType, cluster.Name, err)
		}
		children = append(children, child)
	}
	return children, got.Notes, nil
}

// reroot moves a child the harness registered under the recorded component: its URN, parent, provider,
// dependencies and resource references in its inputs.
func reroot(c mocks.Resource, harnessURN, recordedURN string) (mocks.Resource, error) {
	move := func(u string) string { return ReparentURN(u, harnessURN, recordedURN) }
	moved := move(c.URN)
	if moved == c.URN {
		return c, fmt.Errorf("the harness registered %s outside the component", c.URN)
	}
	c.URN = moved
	c.Parent = move(c.Parent)
	c.Provider = move(c.Provider)
	for i, d := range c.Dependencies {
		c.Dependencies[i] = move(d)
	}
	c.Dependencies = slices.Compact(slices.Sorted(slices.Values(c.Dependencies)))
	if in, ok := rerootValue(c.Inputs, move).(map[string]any); ok {
		c.Inputs = in
	}
	c.Emulated = false
	return c, nil
}

func rerootValue(v any, move func(string) string) any {
	switch v := v.(type) {
	case string:
		if u, ok := strings.CutPrefix(v, "[resource "); ok && strings.HasSuffix(u, "]") {
			return "[resource " + move(strings.TrimSuffix(u, "]")) + "]"
		}
		return v
	case []any:
		out := make([]any, len(v))
		for i, e := range v {
			out[i] = rerootValue(e, move)
		}
		return out
	case map[string]any:
		out := make(map[string]any, len(v))
		for k, e := range v {
			out[k] = rerootValue(e, move)
		}
		return out
	default:
		return v
	}
}

// ReparentURN re-roots urn from the component the harness constructed (harnessURN, a top-level
// eks:index:Cluster) to the recorded component (recordedURN): the component itself becomes recordedURN and a
// resource below it keeps its own type chain and name, under the recorded stack, project and type chain. Any
// other URN (a resource of the Go program the inputs refer to) is returned unchanged.
func ReparentURN(urn, harnessURN, recordedURN string) string {
	if urn == "" {
		return urn
	}
	if urn == harnessURN {
		return recordedURN
	}
	from, to := resource.URN(harnessURN), resource.URN(recordedURN)
	if !from.IsValid() || !to.IsValid() {
		return urn
	}
	fromRoot := urnRoot(from)
	rest, ok := strings.CutPrefix(urn, fromRoot+resource.URNTypeDelimiter)
	if !ok {
		return urn
	}
	return urnRoot(to) + resource.URNTypeDelimiter + rest
}

// urnRoot is a URN without its name: "urn:pulumi:<stack>::<project>::<qualified type>".
func urnRoot(u resource.URN) string {
	return string(u)[:len(u)-len(u.Name())-len(resource.URNNameDelimiter)]
}

// references lists the URNs of the "[resource URN]" values in inputs, sorted.
func references(inputs map[string]any) []string {
	var out []string
	var walk func(v any)
	walk = func(v any) {
		switch v := v.(type) {
		case string:
			if u, ok := strings.CutPrefix(v, "[resource "); ok && strings.HasSuffix(u, "]") {
				out = append(out, strings.TrimSuffix(u, "]"))
			}
		case []any:
			for _, e := range v {
				walk(e)
			}
		case map[string]any:
			for _, e := range v {
				walk(e)
			}
		}
	}
	walk(inputs)
	return slices.Compact(slices.Sorted(slices.Values(out)))
}

// mockAccount is the mocked account as internal/offline/mocks answers it; the certificate comes from the kubeconfig
// it gives the Go program.
func mockAccount(region string) (harnessAccount, error) {
	var kc struct {
		Clusters []struct {
			Cluster struct {
				CertificateAuthorityData string `json:"certificate-authority-data"`
			} `json:"cluster"`
		} `json:"clusters"`
	}
	if err := json.Unmarshal([]byte(mocks.Kubeconfig("cluster", region)), &kc); err != nil || len(kc.Clusters) == 0 {
		return harnessAccount{}, fmt.Errorf("deep: reading the mocked kubeconfig: %w", err)
	}
	return harnessAccount{
		AccountID:                mocks.AccountID,
		Partition:                mocks.Partition,
		ClusterEndpoint:          mocks.ClusterEndpoint,
		ClusterSecurityGroupID:   mocks.ClusterSecurityGroup,
		CertificateAuthorityData: kc.Clusters[0].Cluster.CertificateAuthorityData,
	}, nil
}
