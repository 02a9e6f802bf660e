package poolbudget

import (
	"os/exec"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// The reason rates.csv exists: the program reads the budget's rates without Karpenter's engine or the AWS SDK, which
// compute them in this package's tests only. A Karpenter or SDK import anywhere in the program fails here.
func TestProgramLinksNoKarpenterOrAWSSDK(t *testing.T) {
	t.Parallel()
	const program = "github.com/karpenter-savings/karpenter-savings"
	out, err := exec.Command("go", "list", "-deps", program).Output()
	require.NoError(t, err, "go list -deps %s", program)
	var linked []string
	for _, pkg := range strings.Fields(string(out)) {
		for _, prefix := range []string{"sigs.k8s.io/karpenter", "github.com/aws/karpenter-provider-aws", "github.com/aws/aws-sdk-go-v2/service/"} {
			if strings.HasPrefix(pkg, prefix) {
				linked = append(linked, pkg)
			}
		}
	}
	require.Empty(t, linked, "the program links Karpenter or an AWS SDK service; precompute what it needs, as rates.csv does")
}
