package nodegroupfit

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/csv"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	awsv1 "github.com/aws/karpenter-provider-aws/pkg/apis/v1"
	"github.com/aws/karpenter-provider-aws/pkg/providers/instancetype"
	"github.com/aws/karpenter-provider-aws/pkg/providers/instancetype/compatibility"
	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"

	"github.com/karpenter-savings/karpenter-savings/internal/catalog"
	"github.com/karpenter-savings/karpenter-savings/internal/savings/instancetypes"
)

// update rewrites nodes.csv from Karpenter's resolver: go test ./internal/nodegroupfit -run TestTable -update
var update = flag.Bool("update", false, "rewrite nodes.csv from Karpenter's resolver")

const regenerate = "go test ./internal/nodegroupfit -run TestTable -update"

// al2023 is an EC2NodeClass with no kubelet settings: Karpenter then reserves what the EKS AL2023 AMI reserves
// on a managed node group's nodes, which boot it with its defaults too.
//
// The reservations are Karpenter's AL2023 defaults (karpenter-provider-aws pkg/providers/instancetype/types.go),
// which follow the same formulas as the AMI's nodeadm (github.com/awslabs/amazon-eks-ami/nodeadm,
// internal/kubelet/config.go, withDefaultReservedResources):
//   - kube-reserved CPU: 6% of the first core, 1% of the second, 0.5% of the third and fourth, 0.25% above;
//   - kube-reserved memory: 11Mi per pod + 255Mi, counting the ENI-limited max pods of the type even where the VPC
//     CNI's prefix delegation allows more (nodeadm takes them from its eni-max-pods table before it merges any kubelet
//     settings; Karpenter's UsesENILimitedMemoryOverhead does the same for AL2023);
//   - hard eviction at 100Mi memory.available, and no system-reserved.
//
// Capacity is Karpenter's estimate, as for every node it launches: CPU is the vCPU count; memory is the nominal
// size less the 64Mi Graviton keeps for CMA, less the VM overhead (--vm-memory-overhead-percent, 7.5%). A running
// node's kubelet reports its MemTotal instead, which can differ somewhat; the estimate keeps this check in step with
// what Karpenter and the savings estimate compute.
var al2023 = &awsv1.EC2NodeClass{Spec: awsv1.EC2NodeClassSpec{AMISelectorTerms: []awsv1.AMISelectorTerm{{Alias: "al2023@latest"}}}}

// allocatableOf resolves spec the way the instancetypes builder does, through Karpenter's own resolver: nodes.csv
// holds what it returns.
func allocatableOf(ctx context.Context, region string, spec catalog.Spec, price catalog.Price) node {
	it := instancetype.NewDefaultResolver(region).Resolve(ctx, instancetypes.Info(spec, price), nil, al2023)
	alloc := it.Allocatable()
	return node{
		cpu:                alloc[corev1.ResourceCPU],
		memory:             alloc[corev1.ResourceMemory],
		capacityMemory:     it.Capacity[corev1.ResourceMemory],
		kubeReservedCPU:    it.Overhead.KubeReserved[corev1.ResourceCPU],
		kubeReservedMemory: it.Overhead.KubeReserved[corev1.ResourceMemory],
		evictionMemory:     it.Overhead.EvictionThreshold[corev1.ResourceMemory],
	}
}

// bootsAL2023 is Karpenter's own compatibility check of spec with the AL2023 node class: it rules out A1.
func bootsAL2023(spec catalog.Spec) bool {
	return compatibility.IsCompatibleWithNodeClass(instancetypes.Info(spec, catalog.Price{}), al2023, nil)
}

// unpricedRegion stands for a region the snapshot has no prices for: Check then resolves every type without a price.
const unpricedRegion = "xx-test-1"

// TestTable recomputes nodes.csv with Karpenter and fails on any difference. The table is keyed by instance type
// alone, so a row must not depend on the region or the price Karpenter resolves the type with: every row is resolved
// in every region the catalog prices, with that region's price (none where the type is not offered), and in a region
// without prices, and the results must agree.
func TestTable(t *testing.T) {
	cat := mustLoad(t)
	ctx := instancetypes.WithDefaultOptions(context.Background())
	regions := append(cat.Regions(), unpricedRegion)

	var arm64 []catalog.Spec
	for _, s := range snapshotSpecs(t, cat) {
		if s.Arch == catalog.ArchARM {
			arm64 = append(arm64, s)
		}
	}
	require.NotEmpty(t, arm64, "expected arm64 types in the catalog")
	slices.SortFunc(arm64, func(a, b catalog.Spec) int { return strings.Compare(a.Name, b.Name) })

	want := make(map[string]nodeRow, len(arm64))
	var names []string
	for _, spec := range arm64 {
		row := nodeRow{al2023: bootsAL2023(spec)}
		for i, region := range regions {
			if !row.al2023 {
				break // Check reads no node of a type AL2023 does not boot
			}
			price, _ := cat.Price(region, spec.Name)
			switch n := allocatableOf(ctx, region, spec, price); {
			case i == 0:
				row.node = n
			case !sameNode(n, row.node):
				t.Errorf("%s resolves to %v in %s (price %+v) but to %v in %s: nodes.csv cannot key it by type alone",
					spec.Name, columnsOf(n), region, price, columnsOf(row.node), regions[0])
			}
		}
		want[spec.Name] = row
		names = append(names, spec.Name)
	}
	wantCSV := encodeNodes(t, names, want)
	if *update {
		require.NoError(t, os.WriteFile("nodes.csv", wantCSV, 0o644))
		t.Logf("rewrote nodes.csv (%d types); run the tests again to check the embedded copy", len(names))
		return
	}

	got, err := decodeNodes(nodesCSV)
	require.NoError(t, err, "nodes.csv does not decode; run %s", regenerate)
	var missing, extra, differ []string
	for _, name := range names {
		g, ok := got[name]
		switch w := want[name]; {
		case !ok:
			missing = append(missing, name)
		case g.al2023 != w.al2023 || !sameNode(g.node, w.node):
			differ = append(differ, name+": Karpenter "+strings.Join(rowColumns(w), ",")+", nodes.csv "+strings.Join(rowColumns(g), ","))
		}
	}
	for name := range got {
		if _, ok := want[name]; !ok {
			extra = append(extra, name)
		}
	}
	slices.Sort(extra)
	require.Empty(t, missing, "arm64 types of the catalog missing from nodes.csv; run %s", regenerate)
	require.Empty(t, extra, "types in nodes.csv that are no arm64 type of the catalog; run %s", regenerate)
	require.Empty(t, differ, "rows of nodes.csv that are not what Karpenter's resolver computes; run %s", regenerate)
	require.Equal(t, string(wantCSV), string(nodesCSV), "nodes.csv is not as the generator writes it; run %s", regenerate)
}

// snapshotSpecs returns every spec of the embedded catalog, read from its file: the catalog lists no specs, only
// those it prices in a region, and Check reaches any spec by name.
func snapshotSpecs(t *testing.T, cat *catalog.Catalog) []catalog.Spec {
	t.Helper()
	gz, err := os.ReadFile(filepath.Join("..", "..", "catalog", "snapshot.json.gz"))
	require.NoError(t, err)
	zr, err := gzip.NewReader(bytes.NewReader(gz))
	require.NoError(t, err)
	var snap catalog.Snapshot
	require.NoError(t, json.NewDecoder(zr).Decode(&snap))
	require.Equal(t, cat.Source(), snap.Source, "snapshot.json.gz is not the embedded catalog")
	for _, s := range snap.InstanceTypes {
		embedded, ok := cat.Spec(s.Name)
		require.True(t, ok, "expected %s of snapshot.json.gz in the embedded catalog", s.Name)
		require.Equal(t, s, embedded, "snapshot.json.gz is not the embedded catalog")
	}
	return snap.InstanceTypes
}

// encodeNodes writes rows in the order of names, in the format decodeNodes reads.
func encodeNodes(t *testing.T, names []string, rows map[string]nodeRow) []byte {
	t.Helper()
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	require.NoError(t, w.Write(nodesHeader))
	for _, name := range names {
		require.NoError(t, w.Write(append([]string{name}, rowColumns(rows[name])...)))
	}
	w.Flush()
	require.NoError(t, w.Error())
	return buf.Bytes()
}

// rowColumns are a row's columns after the name: the AL2023 flag, then its quantities, empty when AL2023 does not boot
// the type.
func rowColumns(r nodeRow) []string {
	if !r.al2023 {
		return append([]string{"false"}, make([]string, len(nodesHeader)-2)...)
	}
	return append([]string{"true"}, columnsOf(r.node)...)
}

func columnsOf(n node) []string {
	var cols []string
	for _, q := range n.columns() {
		cols = append(cols, q.String())
	}
	return cols
}

// sameNode compares every quantity of a and b by value and by how it prints, so that a quantity written to nodes.csv
// reads back as Karpenter computed it.
func sameNode(a, b node) bool {
	qa, qb := a.columns(), b.columns()
	for i := range qa {
		if qa[i].Cmp(*qb[i]) != 0 || qa[i].String() != qb[i].String() {
			return false
		}
	}
	return true
}

func TestDecodeNodesRejectsMalformedTables(t *testing.T) {
	header := strings.Join(nodesHeader, ",") + "\n"
	for _, tc := range []struct {
		name, csv, want string
	}{
		{"no header", "", "does not start with the header"},
		{"other header", "name,al2023\n", "does not start with the header"},
		{"short row", header + "t4g.small,true\n", "wrong number of fields"},
		{"twice", header + "a1.large,false,,,,,,\na1.large,false,,,,,,\n", "lists a1.large twice"},
		{"flag", header + "a1.large,no,,,,,,\n", "a1.large: al2023"},
		{"quantity without AL2023", header + "a1.large,false,1930m,,,,,\n", `a1.large: AL2023 does not boot it, but cpu is "1930m"`},
		{"bad quantity", header + "t4g.small,true,1930m,lots,1835Mi,70m,376Mi,100Mi\n", "t4g.small: memory"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := decodeNodes([]byte(tc.csv))
			require.ErrorContains(t, err, tc.want)
		})
	}
}

// A catalog other than the embedded one may hold an arm64 type nodes.csv lacks: Check says so rather than guess.
func TestCheckTypeMissingFromTable(t *testing.T) {
	spec := catalog.Spec{Name: "zz9g.large", VCPU: 2, MemoryMiB: 4096, Arch: catalog.ArchARM, MaxENIs: 3, IPv4PerENI: 10}
	cat, err := catalog.New(&catalog.Snapshot{
		Date:          "2025-01-01",
		InstanceTypes: []catalog.Spec{spec},
		Regions:       map[string]map[string]catalog.Price{"us-east-1": {spec.Name: {OnDemand: 0.1}}},
	})
	require.NoError(t, err)
	problems := Check(cat, "us-east-1", []string{spec.Name}, defaults)
	require.Len(t, problems, 1, "expected one problem, got %+v", problems)
	require.Equal(t, NotInCatalog, problems[0].Kind, problems[0].Reason)
	require.Contains(t, problems[0].Reason, "nodes.csv, the table of allocatable this check reads, has no row for it: regenerate it with "+regenerate)
	require.Contains(t, problems[0].Reason, "no arm64 type of the snapshot holds a controller replica", "a type without a row is no candidate")
}
