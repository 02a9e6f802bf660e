// Command karpenter-savings is the Pulumi program: an EKS cluster with Karpenter and multi-architecture node
// pools. Run it with `pulumi up`; `go run ./cmd/render` runs the same program offline.
package main

import (
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/karpenter-savings/karpenter-savings/internal/program/stack"
)

func main() {
	pulumi.Run(stack.Run)
}
