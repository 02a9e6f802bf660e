package nodegroupfit

import (
	"bytes"
	_ "embed"
	"encoding/csv"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"sync"

	"k8s.io/apimachinery/pkg/api/resource"
)

// nodesCSV holds, for every arm64 type of the embedded catalog, whether AL2023 boots it and, if it does, its node as
// Karpenter's resolver computes it for the group's AL2023 EC2NodeClass. Karpenter is precomputed rather than run so
// that the config package, which checks the group, links no AWS SDK and no Karpenter; nodes_test.go recomputes the
// file with Karpenter and explains the numbers. Quantities are written as resource.Quantity prints them.
//
//go:embed nodes.csv
var nodesCSV []byte

// nodesHeader names the columns of nodes.csv.
var nodesHeader = []string{"name", "al2023", "cpu", "memory", "capacityMemory", "kubeReservedCPU", "kubeReservedMemory", "evictionMemory"}

// nodeRow is one arm64 instance type of nodes.csv; node is zero when AL2023 does not boot the type.
type nodeRow struct {
	al2023 bool
	node   node
}

// nodes is nodes.csv by instance type, decoded on first use.
var nodes = sync.OnceValues(func() (map[string]nodeRow, error) { return decodeNodes(nodesCSV) })

// decodeNodes reads a table in the format of nodes.csv.
func decodeNodes(data []byte) (map[string]nodeRow, error) {
	records, err := csv.NewReader(bytes.NewReader(data)).ReadAll()
	if err != nil {
		return nil, fmt.Errorf("nodegroupfit: read nodes.csv: %w", err)
	}
	if len(records) == 0 || !slices.Equal(records[0], nodesHeader) {
		return nil, errors.New("nodegroupfit: nodes.csv does not start with the header " + fmt.Sprint(nodesHeader))
	}
	rows := make(map[string]nodeRow, len(records)-1)
	for _, rec := range records[1:] {
		name := rec[0]
		if _, dup := rows[name]; dup {
			return nil, fmt.Errorf("nodegroupfit: nodes.csv lists %s twice", name)
		}
		al2023, err := strconv.ParseBool(rec[1])
		if err != nil {
			return nil, fmt.Errorf("nodegroupfit: nodes.csv, %s: al2023: %w", name, err)
		}
		row := nodeRow{al2023: al2023}
		for i, q := range row.node.columns() {
			column, value := nodesHeader[i+2], rec[i+2]
			switch {
			case !al2023 && value != "":
				return nil, fmt.Errorf("nodegroupfit: nodes.csv, %s: AL2023 does not boot it, but %s is %q", name, column, value)
			case !al2023:
				continue
			}
			if *q, err = resource.ParseQuantity(value); err != nil {
				return nil, fmt.Errorf("nodegroupfit: nodes.csv, %s: %s: %w", name, column, err)
			}
		}
		rows[name] = row
	}
	return rows, nil
}

// columns are n's quantities in the order of nodesHeader's.
func (n *node) columns() []*resource.Quantity {
	return []*resource.Quantity{&n.cpu, &n.memory, &n.capacityMemory, &n.kubeReservedCPU, &n.kubeReservedMemory, &n.evictionMemory}
}
