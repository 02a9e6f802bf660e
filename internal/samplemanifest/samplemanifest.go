// Package samplemanifest holds the local copy of the retail store sample app's release manifest, so that the offline
// render and the tests can see every object `pulumi up` would apply from the release URL.
//
// The copy is regenerated, not downloaded (this workplace reaches no GitHub release assets): the five Helm charts of
// aws-containers/retail-store-sample-app at tag v1.3.0 rendered with Helm's Go SDK and the values the release job
// uses (src/app/helmfile.yaml and scripts/kubernetes-dist.sh: IMAGE_TAG=1.3.0, LOAD_BALANCER=yes, release namespace
// "default", tests skipped). Its objects are the release's; its bytes need not be.
package samplemanifest

import _ "embed" // the manifest copy

// ReleaseURL is the Kubernetes manifest of the retail store's v1.3.0 release (2025-09-16), with its ui Service as a
// LoadBalancer.
const ReleaseURL = "https://github.com/aws-containers/retail-store-sample-app/releases/download/v1.3.0/kubernetes.yaml"

//go:embed retail-store-v1.3.0.yaml
var release []byte

// Copies maps each manifest URL there is a local copy of to its bytes.
func Copies() map[string][]byte {
	return map[string][]byte{ReleaseURL: release}
}
