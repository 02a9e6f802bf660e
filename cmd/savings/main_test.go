package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/karpenter-savings/karpenter-savings/internal/savings"
)

// repo is the repository root, where Pulumi.yaml and the examples live.
const repo = "../.."

func TestEstimateJSONPrintsFourScenariosWithSourceAndDate(t *testing.T) {
	var stdout, stderr bytes.Buffer
	chart := filepath.Join(t.TempDir(), "chart.svg")
	code := run(context.Background(), []string{"estimate", "-f", filepath.Join(repo, "examples", "retail-store.yaml"), "--dir", repo, "--json", "--chart", chart,
		"--images", filepath.Join(repo, "examples", "retail-store.images.json")}, &stdout, &stderr)
	require.Equal(t, 0, code, "expected success, stderr: %s", stderr.String())
	var r savings.Report
	require.NoError(t, json.Unmarshal(stdout.Bytes(), &r), "expected one JSON object")
	var names []string
	for _, s := range r.Scenarios {
		names = append(names, s.Name)
		require.Positive(t, s.HourlyUSD, "scenario %s: expected a cost", s.Name)
	}
	require.Equal(t, []string{savings.Baseline, savings.LabDefault, savings.Multiarch, savings.LowerBound}, names)
	require.Equal(t, "2025-05-28", r.Prices.Date, "expected the snapshot's date")
	require.Equal(t, "us-east-1", r.Prices.Region, "expected the dev stack's region")
	require.Contains(t, r.Prices.Source, "ec2-instances-info")
	require.Equal(t, savings.Basis, r.Prices.Basis)
	// On-demand from Karpenter's generated table, spot from the snapshot, each with its date; every node names one.
	sources := map[string]string{}
	for _, s := range r.Prices.Sources {
		sources[s.CapacityType+" "+s.ID] = s.Date
	}
	require.Equal(t, map[string]string{"on-demand karpenter": "2026-07-06", "spot snapshot": "2025-05-28"}, sources)
	for _, s := range r.Scenarios {
		for _, n := range append(s.Nodes, s.Steady().Nodes...) {
			require.Contains(t, sources, n.CapacityType+" "+n.PriceSource, "%s: node %s names no source of the report", s.Name, n.InstanceType)
		}
	}
	require.NotNil(t, r.SpotSensitivity, "expected the spot sensitivity")
	require.Len(t, r.SpotSensitivity.Scenarios, 2)
	require.NotNil(t, r.Images, "expected the images section")
	require.Equal(t, "file", r.Images.Mode, "expected the images file's mode")
	require.Len(t, r.Images.Images, 10, "expected the retail store's ten images")
	for _, img := range r.Images.Images {
		require.Equal(t, "multi-arch", string(img.Status), "image %s", img.Reference)
	}
	require.NotNil(t, r.Images.Graviton)
	require.Zero(t, r.Images.Graviton.Assumed.HourlyUSD, "no image is assumed, so no part of the Graviton saving is")
	svg, err := os.ReadFile(chart)
	require.NoError(t, err, "expected the chart file")
	require.Contains(t, string(svg), "<svg")
}

func TestEstimateTableByDefault(t *testing.T) {
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), []string{"estimate", "-f", filepath.Join(repo, "examples", "retail-store.yaml"), "--dir", repo, "--region", "eu-west-1", "--images", "assume"}, &stdout, &stderr)
	require.Equal(t, 0, code, "expected success, stderr: %s", stderr.String())
	require.Contains(t, stdout.String(), "region eu-west-1", "expected --region to choose the prices")
	require.Contains(t, stdout.String(), savings.Basis)
}

func TestCommandLineErrors(t *testing.T) {
	bad := filepath.Join(t.TempDir(), "bad.yaml")
	require.NoError(t, os.WriteFile(bad, []byte("apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\nspec: {replicas: lots}\n"), 0o600))
	for _, tc := range []struct {
		name     string
		args     []string
		wantCode int
		wantErr  string
	}{
		{"no command", nil, 2, "usage"},
		{"unknown command", []string{"forecast"}, 2, `unknown command "forecast"`},
		{"estimate without -f", []string{"estimate", "--dir", repo}, 2, "-f WORKLOAD.yaml is required"},
		{"unknown flag", []string{"estimate", "--colour"}, 2, "flag provided but not defined"},
		{"images file that misses an image", []string{"estimate", "-f", filepath.Join(repo, "examples", "mixed-workload.yaml"), "--dir", repo,
			"--images", filepath.Join(repo, "examples", "retail-store.images.json")}, 1, "public.ecr.aws/nginx/nginx:1.27"},
		{"empty images mode", []string{"estimate", "-f", filepath.Join(repo, "examples", "retail-store.yaml"), "--dir", repo, "--images", ""}, 2, `--images ""`},
		{"live with no images mode", []string{"live", "--images", ""}, 2, `--images ""`},
		{"bad manifest", []string{"estimate", "-f", bad, "--dir", repo}, 1, "bad.yaml: document 1"},
		{"unknown baseline type", []string{"estimate", "-f", filepath.Join(repo, "examples", "retail-store.yaml"), "--dir", repo, "--baseline-type", "m99z.large", "--images", "assume"}, 1, `unknown instance type "m99z.large"`},
		{"unknown stack", []string{"estimate", "-f", bad, "--dir", repo, "--stack", "nope"}, 1, `stack nope`},
		{"live with a bad price source", []string{"live", "--prices", "guess"}, 2, `--prices "guess"`},
		{"live with a missing kubeconfig", []string{"live", "--dir", repo, "--kubeconfig", filepath.Join(repo, "no-such-kubeconfig")}, 1, "error: kubeconfig: "},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := run(context.Background(), tc.args, &stdout, &stderr)
			require.Equal(t, tc.wantCode, code, "expected exit code %d, stderr: %s", tc.wantCode, stderr.String())
			require.Contains(t, stderr.String(), tc.wantErr)
		})
	}
}
