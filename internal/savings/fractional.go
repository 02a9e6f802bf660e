package savings

import (
	"errors"
	"fmt"
	"math"
	"strings"
)

// cheapestFractionalCluster solves lowerBound's linear program and returns a lower bound on its optimum that holds
// whatever the solver did, the optimum's nodes of each offering, and how far the bound may be below the optimum.
//
// The program, with each class's pods in fractions f_co of the class (Σ_o f_co = 1) and each resource row divided by
// the offering's allocatable:
//
//	minimize   Σ_o price_o × x_o
//	subject to Σ_o f_co = 1                                   for each class c
//	           Σ_c (n_c × q_cr / a_or) × f_co − x_o + s_or = 0 for each offering o and resource r it has
//	           f, x, s ≥ 0
//
// The bound is not the solver's objective but the dual value of the multipliers it ends with: with λ_or ≥ 0 and
// Σ_r λ_or ≤ 1 for each offering, a node of o costs at least Σ_r λ_or × price_o × (its share of r), so every pod of
// class c costs at least min_o Σ_r λ_or × price_o × q_cr / a_or wherever it runs, and
//
//	dual(λ) = Σ_c n_c × min_{o runs c} Σ_r λ_or × price_o × q_cr / a_or
//
// is at most the program's optimum, hence at most any cluster's cost (weak duality). At the simplex's optimum the
// two are equal; if it stops early (an iteration cap, numerical trouble), the bound is lower but still a bound. The
// gap returned is the solver's last objective minus the bound, relative to the objective.
//
// Beyond maxBoundClasses classes the dense tableau grows too dear (its size is classes × offerings × rows), so the
// program is solved with the classes merged (see mergeClasses), and its multipliers are then valued on the real
// classes: dual(λ) is a bound for any λ. A merged program makes every class of a group split the same way across
// offerings, so its optimum is at least the real one, and the gap, taken against it, still bounds how far below
// the real optimum the bound may be.
func cheapestFractionalCluster(classes []*boundClass, offers []boundOffer) (fractionalCluster, error) {
	solveClasses, solveOffers := classes, offers
	if len(classes) > maxBoundClasses {
		solveClasses, solveOffers = mergeClasses(classes, offers, maxBoundClasses)
	}
	t := newBoundTableau(solveClasses, solveOffers)
	if err := t.start(); err != nil {
		return fractionalCluster{}, err
	}
	solveErr := t.solve()
	fc := fractionalCluster{hourly: dualValue(classes, offers, t.multipliers()), nodes: t.nodes(), solvedClasses: len(solveClasses)}
	// Each resource priced alone (λ_or = 1 for one r) is a point of the dual's domain too: should the solver stop
	// short, the bound is still no weaker than pricing the dearest resource.
	for r := range boundResources {
		lambda := make([][len(boundResources)]float64, len(offers))
		for o := range lambda {
			lambda[o][r] = 1
		}
		fc.hourly = max(fc.hourly, dualValue(classes, offers, lambda))
	}
	if objective := t.objective(); objective > 0 {
		fc.gap = max(0, (objective-fc.hourly)/objective)
	}
	if solveErr != nil && fc.gap > 1e-6 {
		return fc, stoppedShort{solveErr}
	}
	return fc, nil
}

// fractionalCluster is what cheapestFractionalCluster finds: the bound, the nodes of each offering in the solved
// program's last basis (a feasible fractional cluster), how far below that cluster's cost the bound is, relative to
// it, and how many classes the program it solved had.
type fractionalCluster struct {
	hourly        float64
	nodes         []float64
	gap           float64
	solvedClasses int
}

// maxBoundClasses is the most classes the bound's program is solved with; 200 solve in about 0.2 s on the full
// catalog, and the time grows faster than the square of the classes.
const maxBoundClasses = 200

// mergeBuckets are the bucket widths mergeClasses tries, finest first, in buckets per doubling of a request; 0 puts
// every amount above zero in one bucket.
var mergeBuckets = []float64{8, 6, 4, 3, 2, 1.5, 1, 0.5, 0}

// mergeClasses merges the classes that run on the same offerings and request about as much of each resource (in the
// same bucket of its logarithm, see mergeBuckets) into one class each, with the requests of all their pods, with the
// finest buckets that leave at most most classes, or the coarsest. The offerings are returned with their runs by
// merged class.
func mergeClasses(classes []*boundClass, offers []boundOffer, most int) ([]*boundClass, []boundOffer) {
	// Which offerings run a class does not change with the buckets.
	runsOn := make([]string, len(classes))
	for c := range classes {
		runsOn[c] = bitString(len(offers), func(o int) bool { return offers[o].runs[c] })
	}
	var merged []*boundClass
	var members [][]int
	for _, steps := range mergeBuckets {
		byKey := map[string]int{}
		merged, members = nil, nil
		for c, class := range classes {
			var key strings.Builder
			key.WriteString(runsOn[c])
			for r, q := range class.req {
				if r == podSlot {
					continue
				}
				bucket := math.MinInt
				if q > 0 {
					bucket = int(math.Floor(steps * math.Log2(q)))
				}
				fmt.Fprintf(&key, "/%d", bucket)
			}
			at, ok := byKey[key.String()]
			if !ok {
				at = len(merged)
				byKey[key.String()] = at
				merged = append(merged, &boundClass{pod: class.pod, terms: class.terms, requests: class.requests, name: class.name, n: 1})
				members = append(members, nil)
			}
			for r, q := range class.req {
				merged[at].req[r] += float64(class.n) * q
			}
			members[at] = append(members[at], c)
		}
		if len(merged) <= most {
			break
		}
	}
	out := make([]boundOffer, len(offers))
	for o, offer := range offers {
		out[o] = offer
		out[o].runs = make([]bool, len(merged))
		for m, cs := range members {
			out[o].runs[m] = offer.runs[cs[0]]
		}
	}
	return merged, out
}

// bitString is "0" or "1" for each of 0..n-1 by set, a compact map key for a set of indices.
func bitString(n int, set func(int) bool) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = '0'
		if set(i) {
			b[i] = '1'
		}
	}
	return string(b)
}

// dualValue is dual(λ) of cheapestFractionalCluster. λ is clipped to its domain first, so any λ gives a lower bound.
func dualValue(classes []*boundClass, offers []boundOffer, lambda [][len(boundResources)]float64) float64 {
	for o := range lambda {
		l := &lambda[o]
		sum := 0.0
		for r := range l {
			// A value round-off made NaN or infinite is dropped: 0 is in the domain, and max(0, NaN) is NaN.
			if v := l[r]; math.IsNaN(v) || math.IsInf(v, 0) || v < 0 {
				l[r] = 0
			}
			sum += l[r]
		}
		if sum > 1 {
			for r := range l {
				l[r] /= sum
			}
		}
	}
	total := 0.0
	for c, class := range classes {
		least := math.Inf(1)
		for o, offer := range offers {
			if !offer.runs[c] {
				continue
			}
			v := 0.0
			l := &lambda[o]
			for r, q := range class.req {
				if offer.alloc[r] > 0 {
					v += l[r] * offer.price * q / offer.alloc[r]
				}
			}
			least = min(least, v)
		}
		total += float64(class.n) * least
	}
	return total
}

// boundTableau is the simplex tableau of cheapestFractionalCluster's program: one row per constraint with its
// right-hand side last, the reduced costs in z (z's last entry is minus the objective), and the basic column of
// each row.
type boundTableau struct {
	rows    [][]float64
	z       []float64
	basis   []int
	width   int // columns, right-hand side excluded
	xAt     int // first x_o column; the f_co columns come before it
	sAt     int // first slack column
	fCols   []lpPair
	rowOf   []lpRow // resource rows, in order, after the class rows
	nClass  int
	classes []*boundClass
	offers  []boundOffer
}

// lpPair is a column f_co: class c on offering o.
type lpPair struct{ c, o int }

// lpRow is a resource row: resource r of offering o.
type lpRow struct{ o, r int }

func newBoundTableau(classes []*boundClass, offers []boundOffer) *boundTableau {
	t := &boundTableau{nClass: len(classes), classes: classes, offers: offers}
	for o, offer := range offers {
		for c := range classes {
			if offer.runs[c] {
				t.fCols = append(t.fCols, lpPair{c, o})
			}
		}
	}
	for o, offer := range offers {
		for r := range boundResources {
			if offer.alloc[r] > 0 {
				t.rowOf = append(t.rowOf, lpRow{o, r})
			}
		}
	}
	t.xAt = len(t.fCols)
	t.sAt = t.xAt + len(offers)
	t.width = t.sAt + len(t.rowOf)
	m := len(classes) + len(t.rowOf)
	t.rows = make([][]float64, m)
	for i := range t.rows {
		t.rows[i] = make([]float64, t.width+1)
	}
	t.basis = make([]int, m)
	rowAt := map[lpRow]int{}
	for i, rw := range t.rowOf {
		at := len(classes) + i
		rowAt[rw] = at
		t.rows[at][t.xAt+rw.o] = -1
		t.rows[at][t.sAt+i] = 1
		t.basis[at] = t.sAt + i
	}
	for j, p := range t.fCols {
		t.rows[p.c][j] = 1
		class, offer := classes[p.c], offers[p.o]
		for r, q := range class.req {
			if offer.alloc[r] > 0 {
				t.rows[rowAt[lpRow{p.o, r}]][j] = float64(class.n) * q / offer.alloc[r]
			}
		}
	}
	for c := range classes {
		t.rows[c][t.width] = 1
		t.basis[c] = -1
	}
	t.z = make([]float64, t.width+1)
	for o, offer := range offers {
		t.z[t.xAt+o] = offer.price
	}
	return t
}

// pivot makes column col basic in row r.
func (t *boundTableau) pivot(r, col int) {
	pr := t.rows[r]
	inv := 1 / pr[col]
	for j := range pr {
		pr[j] *= inv
	}
	pr[col] = 1
	eliminate := func(row []float64) {
		f := row[col]
		if f == 0 {
			return
		}
		for j, v := range pr {
			if v != 0 {
				row[j] -= f * v
			}
		}
		row[col] = 0
	}
	for i, row := range t.rows {
		if i != r {
			eliminate(row)
		}
	}
	eliminate(t.z)
	t.basis[r] = col
}

// start pivots to a feasible basis: each class wholly on its cheapest offering alone, each offering so used sized
// by the resource that binds it (x_o basic in that row), the other rows' slacks basic.
func (t *boundTableau) start() error {
	var load = make([][len(boundResources)]float64, len(t.offers))
	for c, class := range t.classes {
		best, bestUSD := -1, math.Inf(1)
		for j, p := range t.fCols {
			if p.c != c {
				continue
			}
			offer := t.offers[p.o]
			size := 0.0
			for r, q := range class.req {
				if offer.alloc[r] > 0 {
					size = max(size, q/offer.alloc[r])
				}
			}
			if usd := size * offer.price; usd < bestUSD {
				best, bestUSD = j, usd
			}
		}
		if best < 0 {
			return errors.New("a class runs on no offering")
		}
		t.pivot(c, best)
		for r, q := range class.req {
			if a := t.offers[t.fCols[best].o].alloc[r]; a > 0 {
				load[t.fCols[best].o][r] += float64(class.n) * q / a
			}
		}
	}
	for o := range t.offers {
		binding, most := -1, 0.0
		for i, rw := range t.rowOf {
			if rw.o == o && load[o][rw.r] > most {
				binding, most = i, load[o][rw.r]
			}
		}
		if binding >= 0 {
			t.pivot(t.nClass+binding, t.xAt+o)
		}
	}
	for _, row := range t.rows {
		if row[t.width] < -1e-9 {
			return errors.New("the starting basis is not feasible")
		}
		row[t.width] = max(0, row[t.width])
	}
	return nil
}

// stoppedShort is why the simplex stopped before the optimum (its iteration cap, numerical trouble): the hourly
// figure returned with it is still a bound, only a weaker one, and the gap says by how much at most.
type stoppedShort struct{ err error }

func (s stoppedShort) Error() string { return s.err.Error() }
func (s stoppedShort) Unwrap() error { return s.err }

// simplexIterationsPerDimension caps the simplex at this many pivots per row and column of its tableau.
var simplexIterationsPerDimension = 50

// errIterations says the simplex stopped at its iteration cap.
var errIterations = errors.New("the simplex method stopped at its iteration cap")

// solve runs the primal simplex from a feasible basis: Dantzig's rule, and Bland's rule (which cannot cycle) after a
// run of degenerate pivots.
func (t *boundTableau) solve() error {
	const eps = 1e-9
	scale := 0.0
	for _, o := range t.offers {
		scale = max(scale, o.price)
	}
	tol := 1e-12 * max(scale, 1)
	degenerate := 0
	for iter := 0; iter < simplexIterationsPerDimension*(len(t.rows)+t.width); iter++ {
		bland := degenerate > 50
		col := -1
		for j := range t.width {
			if t.z[j] < -tol && (col < 0 || (!bland && t.z[j] < t.z[col])) {
				col = j
				if bland {
					break
				}
			}
		}
		if col < 0 {
			return nil
		}
		r := -1
		ratio := math.Inf(1)
		for i, row := range t.rows {
			a := row[col]
			if a <= eps {
				continue
			}
			v := row[t.width] / a
			if v < ratio-1e-12 || (v <= ratio+1e-12 && r >= 0 && t.basis[i] < t.basis[r]) {
				r, ratio = i, v
			}
		}
		if r < 0 {
			// Every column has a positive cost or is bounded by a class row, so this cannot happen in exact
			// arithmetic; stop with the bound the multipliers give.
			return errors.New("the simplex method found an unbounded direction")
		}
		if ratio <= 1e-12 {
			degenerate++
		} else {
			degenerate = 0
		}
		t.pivot(r, col)
		// Round-off can leave a basic value a hair below zero; it is zero.
		for _, row := range t.rows {
			if v := row[t.width]; v < 0 && v > -1e-9 {
				row[t.width] = 0
			}
		}
	}
	return errIterations
}

// multipliers are the λ of the current basis: for each resource row, minus its simplex multiplier (the reduced cost
// of its slack), over the offering's price.
func (t *boundTableau) multipliers() [][len(boundResources)]float64 {
	lambda := make([][len(boundResources)]float64, len(t.offers))
	for i, rw := range t.rowOf {
		if p := t.offers[rw.o].price; p > 0 {
			lambda[rw.o][rw.r] = t.z[t.sAt+i] / p
		}
	}
	return lambda
}

// objective is the current basis's cost.
func (t *boundTableau) objective() float64 { return -t.z[t.width] }

// nodes are the current basis's x_o.
func (t *boundTableau) nodes() []float64 {
	x := make([]float64, len(t.offers))
	for i, col := range t.basis {
		if col >= t.xAt && col < t.sAt {
			x[col-t.xAt] = max(0, t.rows[i][t.width])
		}
	}
	return x
}
