package main

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/karpenter-savings/karpenter-savings/internal/catalog"
)

func TestToSpec(t *testing.T) {
	model := func(s string) *string { return &s }
	for _, tc := range []struct {
		name   string
		rec    record
		want   catalog.Spec
		wantOK bool
	}{
		{
			name:   "GPU instance: manufacturer and EC2's short GPU name, memory per GPU",
			rec:    record{InstanceType: "g5.12xlarge", VCPU: 48, Memory: 192, Arch: []string{"x86_64"}, PhysicalProcessor: "AMD EPYC 7R32", ClockSpeed: "2.8 GHz", GPU: 4, GPUModel: model("NVIDIA A10G"), GPUMemory: 96, VPC: &vpc{IPsPerENI: 50, MaxENIs: 15}},
			want:   catalog.Spec{Name: "g5.12xlarge", VCPU: 48, MemoryMiB: 196608, Arch: "x86_64", CPUManufacturer: "AMD", ClockGHz: 2.8, MaxENIs: 15, IPv4PerENI: 50, GPUCount: 4, GPUManufacturer: "NVIDIA", GPUName: "A10G", GPUMemoryMiB: 24576},
			wantOK: true,
		},
		{
			name:   "Inferentia is a Neuron device, not a GPU",
			rec:    record{InstanceType: "inf2.xlarge", VCPU: 4, Memory: 16, Arch: []string{"x86_64"}, GPU: 1, GPUModel: model("AWS Inferentia2"), VPC: &vpc{IPsPerENI: 15, MaxENIs: 4}},
			want:   catalog.Spec{Name: "inf2.xlarge", VCPU: 4, MemoryMiB: 16384, Arch: "x86_64", MaxENIs: 4, IPv4PerENI: 15, NeuronDevices: 1, NeuronName: "inferentia2"},
			wantOK: true,
		},
		{
			name:   "Graviton with NVMe instance storage and an 'Up to' clock",
			rec:    record{InstanceType: "c7gd.large", VCPU: 2, Memory: 4, Arch: []string{"arm64"}, PhysicalProcessor: "AWS Graviton3 Processor", ClockSpeed: "Up to 2.6 GHz", VPC: &vpc{IPsPerENI: 10, MaxENIs: 3}, Storage: &storage{Devices: 1, Size: 118, NVMeSSD: true}},
			want:   catalog.Spec{Name: "c7gd.large", VCPU: 2, MemoryMiB: 4096, Arch: "arm64", CPUManufacturer: "AWS", ClockGHz: 2.6, MaxENIs: 3, IPv4PerENI: 10, LocalNVMeGB: 118},
			wantOK: true,
		},
		{"Mac instances are not Karpenter's", record{InstanceType: "mac2.metal", VCPU: 12, Arch: []string{"arm64_mac"}, VPC: &vpc{IPsPerENI: 10, MaxENIs: 8}}, catalog.Spec{}, false},
		{"no ENI limits, no max pods", record{InstanceType: "p2.xlarge", VCPU: 4, Arch: []string{"x86_64"}}, catalog.Spec{}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := toSpec(tc.rec)
			require.Equal(t, tc.wantOK, ok)
			require.Equal(t, tc.want, got)
		})
	}
}

func TestToPrice(t *testing.T) {
	for _, tc := range []struct {
		name   string
		in     osPrices
		want   catalog.Price
		wantOK bool
	}{
		{"spot is the mean of the per-AZ prices", osPrices{OnDemand: "0.096", Spot: []string{"0.03", "0.04", "0.05"}}, catalog.Price{OnDemand: 0.096, Spot: 0.04}, true},
		{"no spot market", osPrices{OnDemand: "0.5"}, catalog.Price{OnDemand: 0.5}, true},
		{"not sold on demand", osPrices{Spot: []string{"0.1"}}, catalog.Price{}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, ok, err := toPrice(&tc.in)
			require.NoError(t, err)
			require.Equal(t, tc.wantOK, ok)
			require.InDelta(t, tc.want.OnDemand, got.OnDemand, 1e-9)
			require.InDelta(t, tc.want.Spot, got.Spot, 1e-9)
		})
	}
	_, _, err := toPrice(&osPrices{OnDemand: "free"})
	require.ErrorContains(t, err, `"free"`, "expected an unparsable price to be an error naming it")
}

func TestReduceKeepsRegionsAndDropsLocalZones(t *testing.T) {
	rec := record{
		InstanceType: "m6i.large", VCPU: 2, Memory: 8, Arch: []string{"x86_64"}, VPC: &vpc{IPsPerENI: 10, MaxENIs: 3},
		Pricing: map[string]regionPrices{
			"us-east-1":       {Linux: &osPrices{OnDemand: "0.096"}},
			"us-east-1-dfw-1": {Linux: &osPrices{OnDemand: "0.12"}},
		},
	}
	snap, err := reduce([]record{rec}, &module{Path: "example.com/data", Version: "v1", Time: "2025-05-28T09:22:18Z"})
	require.NoError(t, err)
	require.Equal(t, "2025-05-28", snap.Date)
	require.Equal(t, "ec2instances.info, as shipped in example.com/data@v1", snap.Source)
	require.Len(t, snap.Regions, 1, "expected the Local Zone dropped, got %v", snap.Regions)
	require.Contains(t, snap.Regions, "us-east-1")
}
