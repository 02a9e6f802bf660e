package nodegroupfit

import (
	"cmp"
	"slices"
	"strings"

	"github.com/karpenter-savings/karpenter-savings/internal/catalog"
)

// nearest returns up to n names of candidates closest to name: those at the least edit distance and, among them,
// those of the same size (after the dot) and family letter if any, so that m6i.large suggests m6g.large, not
// c6g.large. Names further than a third of name's length (and 2 edits) are never suggested.
func nearest(name string, candidates []catalog.Spec, n int) []string {
	limit := max(2, len(name)/3)
	type near struct {
		name     string
		distance int
		kinship  int
	}
	var nears []near
	for _, c := range candidates {
		if d := editDistance(name, c.Name); d <= limit && c.Name != name {
			nears = append(nears, near{c.Name, d, kinship(name, c.Name)})
		}
	}
	if len(nears) == 0 {
		return nil
	}
	slices.SortFunc(nears, func(a, b near) int {
		return cmp.Or(cmp.Compare(a.distance, b.distance), cmp.Compare(a.kinship, b.kinship), cmp.Compare(a.name, b.name))
	})
	var names []string
	for _, x := range nears {
		if len(names) == n || x.distance != nears[0].distance || x.kinship != nears[0].kinship {
			break
		}
		names = append(names, x.name)
	}
	return names
}

// kinship is 0 when a and b share the size and the family letter, 1 when they share one, 2 otherwise.
func kinship(a, b string) int {
	rank := 2
	if _, sa, ok := strings.Cut(a, "."); ok {
		if _, sb, _ := strings.Cut(b, "."); sa == sb {
			rank--
		}
	}
	if a != "" && b != "" && a[0] == b[0] {
		rank--
	}
	return rank
}

// editDistance is the Levenshtein distance of two ASCII names.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
