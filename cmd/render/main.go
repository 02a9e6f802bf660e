// Command render runs the stack's Pulumi program offline, under Pulumi's mock engine, with a stack's real
// configuration (Pulumi.yaml defaults + Pulumi.<stack>.yaml), and prints every resource it would declare.
//
//	go run ./cmd/render [--stack dev] [--json | --check] [--deep] [--dir .]
//	go run ./cmd/render [--stack dev] --save-state FILE
//	go run ./cmd/render [--stack dev] --plan --state FILE [--json]
//
// No AWS account or Pulumi CLI is needed: invokes (SSM AMI parameters, caller identity, the EKS cluster lookup)
// answer with realistic mocked values, so the output shows exactly what `pulumi preview` would send. Remote
// components (pulumi-eks's Cluster, the sample app's yaml/v2 ConfigFile) and Helm releases are shown as boxes with
// their inputs, as `pulumi preview` shows them, and the command links no engine, so it builds about as fast as the
// program itself.
//
// With --deep it adds what those create: the ConfigFile's objects registered by pulumi-kubernetes' own yaml/v2 code,
// the objects of the Helm releases whose charts are available offline (Helm's Go SDK, marked "h") and the children of
// pulumi-eks's Cluster (its npm package under Node mocks, tools/eks-harness; `make deep-deps` installs it). With
// --check it runs the policy rules (internal/offline/policy) on that deep render instead, prints one line per violation and
// exits 1 if any. Both run cmd/render-deep, which links the engines, from the module's directory, so they work from
// any directory.
//
// With --save-state it writes the state an offline `pulumi up` leaves, in `pulumi stack export` format; with --plan
// --state FILE it plans the next `pulumi up` from such a state or a real export, as Pulumi's own engine plans it, and
// says what each replacement does to a running Karpenter. Both run cmd/render-plan, which links the engine.
//
// With --json every resource carries its URN, its parent's URN, the URN of its explicit provider and its
// dependencies as URNs (explicit and property dependencies, components expanded to their children), so the graph
// `pulumi destroy` walks can be checked exactly.
package main

import (
	"os"

	"github.com/karpenter-savings/karpenter-savings/internal/offline/render"
)

func main() {
	os.Exit(render.Main(os.Args[1:], os.Stdout, os.Stderr, nil))
}
