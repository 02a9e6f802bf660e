package savings

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"io"
	"math"
	"text/template"
)

// Chart geometry, in SVG user units.
const (
	chartWidth  = 820.0
	chartHeight = 440.0
	plotLeft    = 80.0
	plotRight   = 800.0
	plotTop     = 96.0
	plotBottom  = 360.0
	barFill     = 0.6 // share of a slot a bar covers
)

// Chart colours: a cost, a saving, an increase, and the lower bound.
const (
	colourCost     = "#4e79a7"
	colourSaving   = "#59a14f"
	colourIncrease = "#e15759"
	colourBound    = "#bab0ac"
)

type bar struct {
	X, Y, W, H   float64
	Fill, Label  string
	Value        string
	LabelX, TopY float64
}

type tick struct {
	Y     float64
	Label string
}

type chart struct {
	Width, Height, Left, Right, Bottom float64
	Title, Subtitle, Source            string
	Bars                               []bar
	Ticks                              []tick
}

var chartTemplate = template.Must(template.New("chart").Funcs(template.FuncMap{"x": escape}).Parse(
	`<svg xmlns="http://www.w3.org/2000/svg" width="{{.Width}}" height="{{.Height}}" viewBox="0 0 {{.Width}} {{.Height}}" font-family="sans-serif">
<rect width="100%" height="100%" fill="white"/>
<text x="{{.Left}}" y="28" font-size="18" font-weight="bold">{{x .Title}}</text>
<text x="{{.Left}}" y="50" font-size="12" fill="#555">{{x .Subtitle}}</text>
<text x="{{.Left}}" y="66" font-size="10" fill="#555">{{x .Source}}</text>
{{range .Ticks}}<line x1="{{$.Left}}" x2="{{$.Right}}" y1="{{.Y}}" y2="{{.Y}}" stroke="#ddd"/>
<text x="{{$.Left | printf "%.0f"}}" dx="-6" y="{{.Y}}" dy="4" font-size="11" text-anchor="end">{{x .Label}}</text>
{{end}}<line x1="{{.Left}}" x2="{{.Right}}" y1="{{.Bottom}}" y2="{{.Bottom}}" stroke="#333"/>
{{range .Bars}}<rect x="{{printf "%.1f" .X}}" y="{{printf "%.1f" .Y}}" width="{{printf "%.1f" .W}}" height="{{printf "%.1f" .H}}" fill="{{.Fill}}"/>
<text x="{{printf "%.1f" .LabelX}}" y="{{printf "%.1f" .TopY}}" dy="-5" font-size="11" text-anchor="middle">{{x .Value}}</text>
<text x="{{printf "%.1f" .LabelX}}" y="{{printf "%.1f" $.Bottom}}" dy="18" font-size="12" text-anchor="middle">{{x .Label}}</text>
{{end}}</svg>
`))

func escape(s string) (string, error) {
	var b bytes.Buffer
	if err := xml.EscapeText(&b, []byte(s)); err != nil {
		return "", fmt.Errorf("escape: %w", err)
	}
	return b.String(), nil
}

// WriteChart draws r as an SVG waterfall: the baseline's $/hour, each cause's saving stepping down (green) or up
// (red) to the multiarch cost, then the lab-default and lower-bound costs for comparison.
func WriteChart(w io.Writer, r *Report) error {
	type step struct {
		label      string
		from, to   float64
		total, low bool
	}
	var steps []step
	base, _ := r.Scenario(Baseline)
	steps = append(steps, step{label: Baseline, to: base.HourlyUSD, total: true})
	level := base.HourlyUSD
	for _, c := range r.Savings.ByCause {
		steps = append(steps, step{label: "− " + c.Cause, from: level, to: level - c.HourlyUSD})
		level -= c.HourlyUSD
	}
	for _, name := range []string{Multiarch, Live, LabDefault, LowerBound} {
		if s, ok := r.Scenario(name); ok {
			steps = append(steps, step{label: name, to: s.HourlyUSD, total: true, low: name == LowerBound})
		}
	}
	top := 0.0
	for _, s := range steps {
		top = math.Max(top, math.Max(s.from, s.to))
	}
	top = niceCeiling(top)
	y := func(v float64) float64 { return plotBottom - (plotBottom-plotTop)*v/top }

	c := chart{
		Width: chartWidth, Height: chartHeight, Left: plotLeft, Right: plotRight, Bottom: plotBottom,
		Title:    fmt.Sprintf("Cost per scenario, $/hour (saving %.1f%% of baseline)", r.Savings.Total.Percent),
		Subtitle: fmt.Sprintf("%s; prices of %s, %s", r.Prices.Basis, r.Prices.Date, r.Prices.Region),
		Source:   "Prices: " + r.Prices.Brief(),
	}
	for i := 0; i <= 4; i++ {
		v := top * float64(i) / 4
		c.Ticks = append(c.Ticks, tick{Y: y(v), Label: fmt.Sprintf("$%.2f", v)})
	}
	slot := (plotRight - plotLeft) / float64(len(steps))
	for i, s := range steps {
		hi, lo := math.Max(s.from, s.to), math.Min(s.from, s.to)
		fill := colourCost
		value := fmt.Sprintf("$%.3f", s.to)
		switch {
		case s.low:
			fill = colourBound
		case !s.total && s.to <= s.from:
			fill, value = colourSaving, fmt.Sprintf("−$%.3f", s.from-s.to)
		case !s.total:
			fill, value = colourIncrease, fmt.Sprintf("+$%.3f", s.to-s.from)
		}
		x := plotLeft + slot*float64(i) + slot*(1-barFill)/2
		c.Bars = append(c.Bars, bar{
			X: x, W: slot * barFill, Y: y(hi), H: math.Max(y(lo)-y(hi), 1),
			Fill: fill, Label: s.label, Value: value, LabelX: x + slot*barFill/2, TopY: y(hi),
		})
	}
	if err := chartTemplate.Execute(w, c); err != nil {
		return fmt.Errorf("chart: %w", err)
	}
	return nil
}

// niceCeiling rounds v up to 1, 2 or 5 times a power of ten, so the axis reads well.
func niceCeiling(v float64) float64 {
	if v <= 0 {
		return 1
	}
	p := math.Pow(10, math.Floor(math.Log10(v)))
	for _, m := range []float64{1, 2, 5, 10} {
		if v <= m*p {
			return m * p
		}
	}
	return 10 * p
}
