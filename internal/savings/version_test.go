package savings

import (
	"runtime/debug"
	"testing"

	"github.com/stretchr/testify/require"
)

// The report names the version of Karpenter's core whose disruption and scheduling code ran; the provider's version
// is not it (karpenter-provider-aws v1.14.4 requires sigs.k8s.io/karpenter v1.14.3), so the constant is checked
// against the core module the test binary links.
func TestKarpenterVersionIsTheLinkedCore(t *testing.T) {
	info, ok := debug.ReadBuildInfo()
	require.True(t, ok, "expected build info in the test binary")
	linked := map[string]string{}
	for _, d := range info.Deps {
		linked[d.Path] = d.Version
		if d.Replace != nil {
			linked[d.Path] = d.Replace.Version
		}
	}
	require.Equal(t, linked["sigs.k8s.io/karpenter"], KarpenterVersion, "expected KarpenterVersion to be the linked sigs.k8s.io/karpenter")
	require.Contains(t, ConsolidationRules, "sigs.k8s.io/karpenter "+KarpenterVersion, "expected the report's rules to name the core and its version")
}
