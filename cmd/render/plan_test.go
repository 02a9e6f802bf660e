//go:build deep

// This test runs cmd/render-plan, which links Pulumi's engine, through `go run` (make deep runs it).
package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

// render --save-state and --plan run cmd/render-plan from the module's directory, whatever the working directory
// is: the first writes the state an offline `pulumi up` of the dev stack leaves, in `pulumi stack export` format;
// the second plans the next up from it with the same configuration, in which nothing in the cloud changes.
func TestSaveStateThenPlanThroughGoRun(t *testing.T) {
	root, err := filepath.Abs(repoRoot)
	require.NoError(t, err)
	state := filepath.Join(t.TempDir(), "dev.json")
	t.Chdir(t.TempDir())

	code, _, stderr := runRender("--save-state", state, "--dir", root)
	require.Equalf(t, 0, code, "stderr:\n%s", stderr)
	raw, err := os.ReadFile(state)
	require.NoError(t, err)
	var export struct {
		Version    int
		Deployment struct {
			Resources []struct{ URN, Type string }
		}
	}
	require.NoError(t, json.Unmarshal(raw, &export))
	require.Equal(t, 3, export.Version, "expected the pulumi stack export format")
	require.NotEmpty(t, export.Deployment.Resources)

	code, stdout, stderr := runRender("--plan", "--state", state, "--json", "--dir", root)
	require.Equalf(t, 0, code, "stderr:\n%s", stderr)
	var plan struct {
		Steps []struct{ Op, URN, Type string }
	}
	require.NoError(t, json.Unmarshal([]byte(stdout), &plan))
	pools := 0
	for _, s := range plan.Steps {
		// discard: a resource the program reads only during an update (the sample app's Service) leaves a preview's
		// state, which changes nothing in the cloud (engine.Changed).
		require.Contains(t, []string{"same", "read", "discard"}, s.Op, "expected nothing to change from the state of the same configuration: %s", s.URN)
		if s.Type == "kubernetes:karpenter.sh/v1:NodePool" {
			pools++
		}
	}
	require.Positive(t, pools, "expected the NodePools in the plan")
	_, err = os.Stat("go.mod")
	require.True(t, os.IsNotExist(err), "expected the test to run outside the module")
}
