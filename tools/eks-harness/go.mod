// This file keeps the go command out of the harness: `go test ./...` does not descend into a directory holding a
// go.mod, and node_modules here holds Go test projects of @pulumi/pulumi. The harness is Node.js; see harness.js.
module github.com/karpenter-savings/karpenter-savings/tools/eks-harness

go 1.26
