package engine_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/karpenter-savings/karpenter-savings/internal/offline/engine"
	"github.com/karpenter-savings/karpenter-savings/internal/program/config"
	"github.com/karpenter-savings/karpenter-savings/internal/program/project"
	"github.com/pulumi/pulumi/pkg/v3/resource/deploy"
)

// dev is the dev stack with overrides of project keys.
func dev(t *testing.T, overrides map[string]string) engine.Stack {
	t.Helper()
	values, err := project.Load("../../..", "dev")
	require.NoError(t, err)
	cfg := maps.Clone(map[string]string(values))
	for k, v := range overrides {
		cfg[config.Project+":"+k] = v
	}
	return engine.Stack{Project: config.Project, Name: "dev", Config: cfg}
}

// deployed is the state the dev stack's first `pulumi up` leaves.
func deployed(t *testing.T) *deploy.Snapshot {
	t.Helper()
	snap, steps, err := engine.Up(dev(t, nil), nil)
	require.NoError(t, err)
	require.NotEmpty(t, steps)
	return snap
}

func summary(steps []engine.Step) []string {
	var out []string
	for _, s := range engine.Changed(steps) {
		out = append(out, fmt.Sprintf("%s %s %s", s.Op, s.Type, s.URN[len("urn:pulumi:dev::"):]))
	}
	return out
}

func TestFirstUpCreatesAndANoChangePreviewIsAllSame(t *testing.T) {
	snap, steps, err := engine.Up(dev(t, nil), nil)
	require.NoError(t, err)
	for _, s := range steps {
		require.Contains(t, []string{"create", "read"}, s.Op, s.URN)
	}
	require.Empty(t, summary(previewFrom(t, dev(t, nil), snap)), "the next preview, the account now holding the stack's cluster and Spot role, changes nothing")
	var buf bytes.Buffer
	require.NoError(t, engine.Save(&buf, snap))
	var u struct{ Version int }
	require.NoError(t, json.Unmarshal(buf.Bytes(), &u))
	require.Equal(t, 3, u.Version)
}
