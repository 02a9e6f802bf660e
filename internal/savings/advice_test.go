package savings

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestBoundGapSaysWhetherTheAdviceReachesTheTarget(t *testing.T) {
	image := Advice{MultiArchImages: []ImageAdvice{{Kind: "Deployment", Namespace: "shop", Name: "legacy", Saving: Amount{HourlyUSD: 0.3}, LowerBoundHourlyUSD: 1}}}
	// The image lifts legacy's pin, and the changed workload's bound is 0.8: the changed cluster, 1.4, is 1.75× it.
	lifted := Advice{MultiArchImages: []ImageAdvice{{Kind: "Deployment", Namespace: "shop", Name: "legacy", Saving: Amount{HourlyUSD: 0.3}, LowerBoundHourlyUSD: 0.8}}}
	prefer := Advice{PreferArm64: &PreferArm64{Saving: Amount{HourlyUSD: 0.2}}}
	for _, tc := range []struct {
		name           string
		advice         Advice
		hourly         float64
		ratio, advised float64
		noteContains   string
	}{
		{"within the target", Advice{}, 1.4, 1.4, 1.4, "within the 1.5× target"},
		{"the advice reaches it", image, 1.7, 1.7, 1.4, "a multi-arch image for Deployment shop/legacy brings it to 1.40× the lower bound of the workload so changed ($1.0000/h)."},
		{"the advice falls short", image, 2.0, 2.0, 1.7, "still over. The estimate tries workload changes only"},
		{"no advice", Advice{}, 2.0, 2.0, 2.0, "no advised workload change saves"},
		{"against the changed workload's bound", lifted, 1.7, 1.7, 1.75, "a multi-arch image for Deployment shop/legacy, brings it to 1.75× the lower bound of the workload so changed ($0.8000/h), still over"},
		{"a preference keeps the workload's bound", prefer, 1.7, 1.7, 1.5, "preferring arm64 brings it to 1.50×"},
		// The image saves more but ends further from its own bound (1.75×) than the preference (1.5×).
		{"the lowest ratio, not the largest saving", Advice{PreferArm64: prefer.PreferArm64, MultiArchImages: lifted.MultiArchImages}, 1.7, 1.7, 1.5,
			"preferring arm64 brings it to 1.50×"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g := boundGap(tc.advice, tc.hourly, 1.0)
			require.InDelta(t, tc.ratio, g.Ratio, 1e-9)
			require.InDelta(t, tc.advised, g.AdvisedRatio, 1e-9)
			require.Contains(t, g.Note, tc.noteContains)
		})
	}
	require.Nil(t, boundGap(Advice{}, 1, 0), "expected no ratio to a zero bound")
}
