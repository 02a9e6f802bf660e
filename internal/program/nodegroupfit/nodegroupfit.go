// Package nodegroupfit checks the instance types of the critical-addons-only managed node group: each must be an EC2
// type of the embedded catalog, offered in the stack's region, able to boot the group's AL2023 arm64 AMI, and big
// enough that one node holds a Karpenter controller replica next to the add-ons every node of the group runs.
package nodegroupfit

import (
	"cmp"
	"fmt"
	"slices"
	"strings"

	"k8s.io/apimachinery/pkg/api/resource"

	"github.com/karpenter-savings/karpenter-savings/internal/catalog"
)

// Requirement is what one node of the group must hold besides the add-ons: one Karpenter controller replica. The
// chart's pod anti-affinity keeps replicas on different nodes, so one replica is what lands on a node.
type Requirement struct {
	ControllerCPU    resource.Quantity // CPU request (and limit) of one controller replica. Required.
	ControllerMemory resource.Quantity // memory request (and limit) of one controller replica. Required.
}

// Kind says which check an instance type failed, so that a caller can name the config key to change.
type Kind string

// The checks, in the order they run. A type the catalog does not know, or whose nodes cannot boot the group's AMI,
// skips the checks after it.
const (
	NotInCatalog       Kind = "NotInCatalog"       // no such instance type in the snapshot
	NotOffered         Kind = "NotOffered"         // no Linux price in the region
	NotARM64           Kind = "NotARM64"           // x86_64: cannot boot the arm64 AMI
	NotAL2023          Kind = "NotAL2023"          // arm64, but AL2023 does not support it (A1)
	InsufficientCPU    Kind = "InsufficientCPU"    // allocatable CPU below the controller's and add-ons' requests
	InsufficientMemory Kind = "InsufficientMemory" // allocatable memory below the controller's and add-ons' requests
)

// Problem is one failed check of one instance type. Reason reads after the quoted instance type (`"t4g.nano" has
// ...`) and says what would pass.
type Problem struct {
	InstanceType string
	Kind         Kind
	Reason       string
}

// maxSuggestions is how many instance types a reason proposes.
const maxSuggestions = 3

// Check returns the problems of every instance type in types, in order, for a group in region; none when all pass.
// A region the snapshot has no prices for skips the offering check: the snapshot cannot tell. The allocatable of each
// type comes from nodes.csv, computed from the embedded catalog's specs.
func Check(cat *catalog.Catalog, region string, types []string, req Requirement) []Problem {
	table, err := nodes()
	if err != nil {
		// nodes.csv is part of the binary, and TestTable decodes it.
		panic(err)
	}
	c := &checker{cat: cat, region: region, demand: demandOf(req), nodes: table}
	offered, err := cat.Offered(region)
	c.regionPriced = err == nil
	if !c.regionPriced {
		offered = c.everyRegion()
	}
	for _, s := range offered {
		if c.bootsAMI(s) {
			c.candidates = append(c.candidates, s)
		}
	}
	var problems []Problem
	for _, name := range types {
		problems = append(problems, c.check(name)...)
	}
	return problems
}

// checker holds what the checks of one call share.
type checker struct {
	cat          *catalog.Catalog
	region       string
	regionPriced bool
	demand       demand
	nodes        map[string]nodeRow
	candidates   []catalog.Spec // the types that pass the first three checks (any region's when region has no prices)
	fitting      []string       // candidates that hold demand, cheapest first; computed on first need
}

func (c *checker) check(name string) []Problem {
	problem := func(kind Kind, format string, args ...any) Problem {
		return Problem{InstanceType: name, Kind: kind, Reason: fmt.Sprintf(format, args...)}
	}
	spec, ok := c.cat.Spec(name)
	if !ok {
		return []Problem{problem(NotInCatalog, "is not an EC2 instance type in the catalog snapshot of %s (%s); %s",
			c.cat.Date(), c.cat.Source(), c.instead(name))}
	}
	var problems []Problem
	_, offered := c.cat.Price(c.region, name)
	if c.regionPriced && !offered {
		problems = append(problems, problem(NotOffered, "is not offered in %s: it has no Linux price there in the catalog snapshot of %s; %s",
			c.region, c.cat.Date(), c.instead(name)))
	}
	switch {
	case spec.Arch != catalog.ArchARM:
		return append(problems, problem(NotARM64, "is %s, but the critical-addons-only group runs the AL2023 arm64 AMI; %s",
			spec.Arch, c.instead(name)))
	case !c.known(spec):
		return append(problems, problem(NotInCatalog, "is arm64, but nodes.csv, the table of allocatable this check reads, has no "+
			"row for it: regenerate it with go test ./internal/nodegroupfit -run TestTable -update; %s", c.instead(name)))
	case !c.bootsAMI(spec):
		return append(problems, problem(NotAL2023, "is arm64, but AL2023, the group's AMI, does not support it (Karpenter excludes it too); %s",
			c.instead(name)))
	}
	node := c.nodes[name].node
	if node.cpu.Cmp(c.demand.cpu) < 0 {
		problems = append(problems, problem(InsufficientCPU,
			"has %s CPU allocatable (%d vCPUs less %s kube-reserved, as Karpenter computes it for AL2023), "+
				"but one node must hold %s: %s for a Karpenter controller replica and %s for the add-ons (%s); %s",
			milli(node.cpu), spec.VCPU, milli(node.kubeReservedCPU),
			milli(c.demand.cpu), milli(c.demand.controllerCPU), milli(c.demand.addOnCPU), addOnList(cpuOf, milli), c.fits("CPU request")))
	}
	if node.memory.Cmp(c.demand.memory) < 0 {
		problems = append(problems, problem(InsufficientMemory,
			"has %s memory allocatable (of its %dMi, an estimated %s capacity less %s kube-reserved and %s eviction "+
				"threshold, as Karpenter computes it for AL2023), but one node must hold %s: %s for a Karpenter controller "+
				"replica and %s for the add-ons (%s); %s",
			mebiFloor(node.memory), spec.MemoryMiB, mebiFloor(node.capacityMemory), mebiCeil(node.kubeReservedMemory),
			mebiCeil(node.evictionMemory), mebiCeil(c.demand.memory), mebiCeil(c.demand.controllerMemory),
			mebiCeil(c.demand.addOnMemory), addOnList(memoryOf, mebiCeil), c.fits("memory request")))
	}
	return problems
}

// instead proposes the candidates nearest to name by edit distance, or the cheapest that fit when none is near.
func (c *checker) instead(name string) string {
	if near := nearest(name, c.candidates, maxSuggestions); len(near) > 0 {
		return "did you mean " + orList(near) + "?"
	}
	return c.fits("")
}

// fits proposes the cheapest candidates that hold the controller and the add-ons, and lowering request, if given.
func (c *checker) fits(request string) string {
	if c.fitting == nil {
		c.fitting = c.cheapestFitting()
	}
	switch {
	case len(c.fitting) == 0 && request == "":
		return "no arm64 type of the snapshot holds a controller replica and the add-ons"
	case len(c.fitting) == 0:
		return "lower the controller's " + request + ": no arm64 type of the snapshot holds it and the add-ons"
	}
	order := "cheapest in " + c.region
	if !c.regionPriced {
		order = "smallest"
	}
	use := fmt.Sprintf("use %s (the %s that hold a controller replica and the add-ons)", orList(c.fitting), order)
	if request == "" {
		return use
	}
	return use + ", or lower the controller's " + request
}

func (c *checker) cheapestFitting() []string {
	type fit struct {
		spec  catalog.Spec
		price float64
	}
	var fits []fit
	for _, s := range c.candidates {
		price, _ := c.cat.Price(c.region, s.Name)
		if c.nodes[s.Name].node.holds(c.demand) {
			fits = append(fits, fit{s, price.OnDemand})
		}
	}
	// Without the region's prices every price is 0, and the smallest types stand in for the cheapest.
	slices.SortFunc(fits, func(a, b fit) int {
		return cmp.Or(cmp.Compare(a.price, b.price), cmp.Compare(a.spec.VCPU, b.spec.VCPU),
			cmp.Compare(a.spec.MemoryMiB, b.spec.MemoryMiB), cmp.Compare(a.spec.Name, b.spec.Name))
	})
	names := []string{}
	for _, f := range fits[:min(len(fits), maxSuggestions)] {
		names = append(names, f.spec.Name)
	}
	return names
}

// everyRegion lists the types any region of the snapshot prices, by name.
func (c *checker) everyRegion() []catalog.Spec {
	seen := map[string]bool{}
	var specs []catalog.Spec
	for _, r := range c.cat.Regions() {
		offered, err := c.cat.Offered(r)
		if err != nil {
			continue
		}
		for _, s := range offered {
			if !seen[s.Name] {
				seen[s.Name] = true
				specs = append(specs, s)
			}
		}
	}
	slices.SortFunc(specs, func(a, b catalog.Spec) int { return cmp.Compare(a.Name, b.Name) })
	return specs
}

// known says whether nodes.csv has a row for spec. It has one for every arm64 type of the embedded catalog; a catalog
// made otherwise may have types it lacks.
func (c *checker) known(spec catalog.Spec) bool {
	_, ok := c.nodes[spec.Name]
	return ok
}

// bootsAMI says whether the group's AMI runs on spec: arm64, and not ruled out for AL2023 by Karpenter's own
// compatibility check (it rules out A1), as nodes.csv records it.
func (c *checker) bootsAMI(spec catalog.Spec) bool {
	return spec.Arch == catalog.ArchARM && c.nodes[spec.Name].al2023
}

// orList joins names as "a, b or c".
func orList(names []string) string {
	if len(names) == 1 {
		return names[0]
	}
	return strings.Join(names[:len(names)-1], ", ") + " or " + names[len(names)-1]
}
