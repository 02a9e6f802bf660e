package engine_test

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/karpenter-savings/karpenter-savings/internal/offline/engine"
	"github.com/karpenter-savings/karpenter-savings/internal/offline/mocks"
	"github.com/karpenter-savings/karpenter-savings/internal/program/pulumik8s"
)

// projectDir copies the dev stack's Pulumi.yaml and Pulumi.dev.yaml into a directory of its own, with extra lines
// appended to Pulumi.dev.yaml's config block, and returns it.
func projectDir(t *testing.T, extra string) string {
	t.Helper()
	dir := t.TempDir()
	for _, name := range []string{"Pulumi.yaml", "Pulumi.dev.yaml"} {
		b, err := os.ReadFile(filepath.Join("../../..", name))
		require.NoError(t, err)
		if name == "Pulumi.dev.yaml" {
			b = append(b, extra...)
		}
		require.NoError(t, os.WriteFile(filepath.Join(dir, name), b, 0o600))
	}
	return dir
}

func mainOK(t *testing.T, args ...string) string {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := engine.Main(args, &stdout, &stderr)
	require.Equalf(t, 0, code, "render-plan %v: %s", args, stderr.String())
	return stdout.String()
}

type planJSON struct {
	Steps []engine.Step `json:"steps"`
}

// --save-state writes the state of an offline up; --plan --state from it with the same configuration changes nothing,
// and with the controller moved to another namespace, plans the engine's replacement and says what it does to Karpenter.
func TestSaveStateThenPlan(t *testing.T) {
	state := filepath.Join(t.TempDir(), "dev.json")
	mainOK(t, "--dir", projectDir(t, ""), "--save-state", state)

	var same planJSON
	require.NoError(t, json.Unmarshal([]byte(mainOK(t, "--dir", projectDir(t, ""), "--plan", "--state", state, "--json")), &same))
	require.Len(t, same.Steps, 86+1, "every resource of the saved state, and the discard of the Service the program reads only during an update")
	require.Empty(t, engine.Changed(same.Steps))

	moved := projectDir(t, "  karpenter-savings:karpenterNamespace: karpenter\n")
	var plan planJSON
	require.NoError(t, json.Unmarshal([]byte(mainOK(t, "--dir", moved, "--plan", "--state", state, "--json")), &plan))
	release := urnOf(t, plan.Steps, pulumik8s.ReleaseType, controller)
	require.Equal(t, []string{"delete-replaced", "replace", "create-replacement"}, ops(plan.Steps, release))
	i := engine.Index(plan.Steps, "delete-replaced", release)
	require.Contains(t, plan.Steps[i].Karpenter, "controller down")
	require.Contains(t, plan.Steps[engine.Index(plan.Steps, "replace", release)].Keys, "namespace")

	text := mainOK(t, "--dir", moved, "--plan", "--state", state)
	require.Contains(t, text, "karpenter: controller down")
	require.Contains(t, text, "no refresh: drift made outside Pulumi is not seen")
}

// A real `pulumi stack export` (testdata/stack-export.json: Pulumi Cloud's secrets provider, whose secrets cannot be
// read offline, and only the network deployed so far) is planned from: its network is the program's, unchanged,
// and the rest is created.
func TestPlanFromARealStackExport(t *testing.T) {
	var plan planJSON
	require.NoError(t, json.Unmarshal([]byte(mainOK(t, "--dir", projectDir(t, ""), "--plan", "--state", "testdata/stack-export.json", "--json")), &plan))
	vpc := urnOf(t, plan.Steps, mocks.TypeVpc, "cluster-with-karpenter-network-vpc")
	require.Equal(t, []string{"same"}, ops(plan.Steps, vpc))
	counts := map[string]int{}
	for _, s := range plan.Steps {
		counts[s.Op]++
		if strings.Contains(s.URN, "index:Network") {
			require.Equalf(t, "same", s.Op, "%s is in the export", s.URN)
		}
	}
	require.Equal(t, 17, counts["same"], "the export's aws provider, Network component and its 15 resources are kept: %v", counts)
	require.Zero(t, counts["delete"]+counts["replace"]+counts["update"], "%v", counts)
	require.Positive(t, counts["create"])
}

// A state of another stack is refused with both names, before anything is planned.
func TestPlanRefusesTheStateOfAnotherStack(t *testing.T) {
	var stdout, stderr bytes.Buffer
	code := engine.Main([]string{"--dir", projectDir(t, ""), "--stack", "dev", "--plan", "--state", "testdata/stack-export.json"}, &stdout, &stderr)
	require.Equal(t, 0, code, "the dev stack's own export is planned: %s", stderr.String())
	b, err := os.ReadFile("testdata/stack-export.json")
	require.NoError(t, err)
	other := filepath.Join(t.TempDir(), "prod.json")
	require.NoError(t, os.WriteFile(other, bytes.ReplaceAll(b, []byte("urn:pulumi:dev::"), []byte("urn:pulumi:prod::")), 0o600))
	stderr.Reset()
	code = engine.Main([]string{"--dir", projectDir(t, ""), "--plan", "--state", other}, &stdout, &stderr)
	require.Equal(t, 1, code)
	require.Contains(t, stderr.String(), "the state is of stack karpenter-savings/prod")
	require.Contains(t, stderr.String(), "--stack prod")
}
