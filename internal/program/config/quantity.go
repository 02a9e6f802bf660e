package config

import (
	"fmt"
	"regexp"

	"k8s.io/apimachinery/pkg/api/resource"
)

// leadingNumber is the number a quantity starts with.
var leadingNumber = regexp.MustCompile(`^[0-9]+(\.[0-9]+)?`)

// bareNumber is a quantity without a unit: Kubernetes reads a memory of "512" as 512 bytes and a CPU of "1000" as
// a thousand cores, which is rarely what was meant.
var bareNumber = regexp.MustCompile(`^[0-9]+(\.[0-9]+)?$`)

// Bounds below which a quantity cannot have been meant.
var (
	// minMemory: a memory request or limit under 1Mi holds no process, let alone a node.
	minMemory = resource.MustParse("1Mi")
	// maxControllerCPU: one controller replica on more than 64 cores is "1000" meant as "1000m".
	maxControllerCPU = resource.MustParse("64")
)

// memoryProblem explains why value is not a memory anyone meant, or returns "" when it is fine.
func memoryProblem(value string) string {
	q, err := resource.ParseQuantity(value)
	switch {
	case err != nil || q.Sign() <= 0:
		return fmt.Sprintf("%q is not a positive memory quantity (e.g. 1Gi, 512Mi)", value)
	case bareNumber.MatchString(value):
		return fmt.Sprintf("%q has no unit, so Kubernetes reads it as %s bytes; write the unit: %sMi or %sGi", value, value, value, value)
	case q.Cmp(minMemory) < 0:
		return fmt.Sprintf("%q is %d bytes, less than 1Mi; did you mean %sMi or %sGi?", value, q.Value(), trimUnit(value), trimUnit(value))
	}
	return ""
}

// cpuProblem explains why value is not a CPU quantity anyone meant (above limit, when limit is set), or returns "".
func cpuProblem(value string, limit *resource.Quantity) string {
	q, err := resource.ParseQuantity(value)
	switch {
	case err != nil || q.Sign() <= 0:
		return fmt.Sprintf("%q is not a positive CPU quantity (e.g. 1 or 500m)", value)
	case limit != nil && q.Cmp(*limit) > 0:
		return fmt.Sprintf("%q is %s cores, more than %s; did you mean %sm (millicores)?", value, q.String(), limit.String(), trimUnit(value))
	}
	return ""
}

// gpuProblem explains why value is not a whole, positive number of GPUs, or returns "".
func gpuProblem(value string) string {
	q, err := resource.ParseQuantity(value)
	switch {
	case err != nil || q.Sign() <= 0:
		return fmt.Sprintf("%q is not a positive number of GPUs (e.g. 4)", value)
	case q.MilliValue()%1000 != 0:
		return fmt.Sprintf("%q is not a whole number of GPUs: nvidia.com/gpu counts devices (e.g. 2)", value)
	}
	return ""
}

// trimUnit is the leading number of a quantity, to suggest a unit in its place.
func trimUnit(value string) string {
	if m := leadingNumber.FindString(value); m != "" {
		return m
	}
	return value
}
