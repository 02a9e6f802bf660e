// Package podspec knows where each Kubernetes workload kind keeps its pod spec, for the code that reads or fills in
// containers: the sample app's requests transform and the container policy rules.
package podspec

// Paths maps each workload kind of the apps, batch and core groups to the path of its pod spec in the object.
var Paths = map[string][]string{
	"Deployment":            {"spec", "template", "spec"},
	"StatefulSet":           {"spec", "template", "spec"},
	"DaemonSet":             {"spec", "template", "spec"},
	"ReplicaSet":            {"spec", "template", "spec"},
	"ReplicationController": {"spec", "template", "spec"},
	"Job":                   {"spec", "template", "spec"},
	"CronJob":               {"spec", "jobTemplate", "spec", "template", "spec"},
	"Pod":                   {"spec"},
}

// ContainerLists are the pod spec's lists of containers that request resources.
var ContainerLists = []string{"initContainers", "containers"}
