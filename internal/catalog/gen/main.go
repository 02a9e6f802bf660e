// Command gen reduces the ec2instances.info dataset shipped in github.com/LeanerCloud/ec2-instances-info to the
// compact snapshot the catalog package embeds: per instance type only the specs Karpenter's AWS provider reads, and
// per region only the Linux on-demand and spot prices. The full dataset is 96 MB; the snapshot is a few hundred KB,
// so the savings tool and its tests stay fast and the module stays out of the build.
//
// Run it with `go generate ./internal/catalog` (network or a warm module cache needed for `go mod download`).
package main

import (
	"compress/gzip"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"log"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/karpenter-savings/karpenter-savings/internal/catalog"
)

// dataset is the pinned module version; its pseudo-version date is the data date every report states.
const dataset = "github.com/LeanerCloud/ec2-instances-info@v0.0.0-20250528091325-32acf84f42eb"

// regionPattern keeps commercial and GovCloud regions and drops Local and Wavelength Zones, whose names carry a
// city suffix (us-east-1-dfw-1) and which Karpenter node pools do not target by default.
var regionPattern = regexp.MustCompile(`^[a-z]{2}(-gov)?-[a-z]+-\d+$`)

// ghzPattern reads the number out of "3.5 GHz" and "Up to 3.5 GHz".
var ghzPattern = regexp.MustCompile(`([0-9.]+)\s*GHz`)

func main() {
	out := flag.String("out", "snapshot.json.gz", "snapshot file to write")
	flag.Parse()
	if err := run(*out); err != nil {
		log.Fatal(err)
	}
}

func run(out string) error {
	mod, err := download()
	if err != nil {
		return err
	}
	raw, err := os.ReadFile(filepath.Join(mod.Dir, "data", "instances.json"))
	if err != nil {
		return fmt.Errorf("read dataset: %w", err)
	}
	var records []record
	if err := json.Unmarshal(raw, &records); err != nil {
		return fmt.Errorf("parse dataset: %w", err)
	}
	snap, err := reduce(records, mod)
	if err != nil {
		return err
	}
	return write(out, snap)
}

// module is the part of `go mod download -json` output gen reads.
type module struct {
	Path    string
	Version string
	Dir     string
	Info    string // path of the .info file, whose Time is the commit time behind the pseudo-version
	Error   string
	Time    string `json:"-"`
}

// download fetches the pinned dataset module (or finds it in the module cache) and reads its commit time.
func download() (*module, error) {
	cmd := exec.Command("go", "mod", "download", "-json", dataset)
	cmd.Stderr = os.Stderr
	stdout, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("go mod download %s: %w", dataset, err)
	}
	var m module
	if err := json.Unmarshal(stdout, &m); err != nil {
		return nil, fmt.Errorf("parse go mod download output: %w", err)
	}
	if m.Error != "" {
		return nil, fmt.Errorf("go mod download %s: %s", dataset, m.Error)
	}
	info, err := os.ReadFile(m.Info)
	if err != nil {
		return nil, fmt.Errorf("read module info: %w", err)
	}
	var i struct{ Time string }
	if err := json.Unmarshal(info, &i); err != nil {
		return nil, fmt.Errorf("parse module info %s: %w", m.Info, err)
	}
	m.Time = i.Time
	return &m, nil
}

// record is one instance type of ec2instances.info's instances.json, reduced to the fields gen reads.
type record struct {
	InstanceType      string                  `json:"instance_type"`
	VCPU              int32                   `json:"vCPU"`
	Memory            float64                 `json:"memory"`
	Arch              []string                `json:"arch"`
	PhysicalProcessor string                  `json:"physical_processor"`
	ClockSpeed        any                     `json:"clock_speed_ghz"`
	GPU               int32                   `json:"GPU"`
	GPUModel          *string                 `json:"GPU_model"`
	GPUMemory         float64                 `json:"GPU_memory"`
	EBSMaxBandwidth   float64                 `json:"ebs_max_bandwidth"`
	VPC               *vpc                    `json:"vpc"`
	Storage           *storage                `json:"storage"`
	Pricing           map[string]regionPrices `json:"pricing"`
}

type vpc struct {
	IPsPerENI int32 `json:"ips_per_eni"`
	MaxENIs   int32 `json:"max_enis"`
}

type storage struct {
	Devices int64   `json:"devices"`
	Size    float64 `json:"size"`
	NVMeSSD bool    `json:"nvme_ssd"`
}

type regionPrices struct {
	Linux *osPrices `json:"linux"`
}

type osPrices struct {
	OnDemand string   `json:"ondemand"`
	Spot     []string `json:"spot"`
}

func reduce(records []record, mod *module) (*catalog.Snapshot, error) {
	date, err := time.Parse(time.RFC3339, mod.Time)
	if err != nil {
		return nil, fmt.Errorf("dataset module time %q: %w", mod.Time, err)
	}
	snap := &catalog.Snapshot{
		Source:  "ec2instances.info, as shipped in " + mod.Path + "@" + mod.Version,
		Date:    date.UTC().Format(time.DateOnly),
		Regions: map[string]map[string]catalog.Price{},
	}
	var errs []error
	for _, r := range records {
		spec, ok := toSpec(r)
		if !ok {
			continue
		}
		priced := false
		for region, p := range r.Pricing {
			if !regionPattern.MatchString(region) || p.Linux == nil {
				continue
			}
			price, ok, err := toPrice(p.Linux)
			if err != nil {
				errs = append(errs, fmt.Errorf("%s in %s: %w", r.InstanceType, region, err))
				continue
			}
			if !ok {
				continue
			}
			if snap.Regions[region] == nil {
				snap.Regions[region] = map[string]catalog.Price{}
			}
			snap.Regions[region][r.InstanceType] = price
			priced = true
		}
		if priced {
			snap.InstanceTypes = append(snap.InstanceTypes, spec)
		}
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	sort.Slice(snap.InstanceTypes, func(i, j int) bool { return snap.InstanceTypes[i].Name < snap.InstanceTypes[j].Name })
	return snap, nil
}

// toSpec keeps the instance types Karpenter's AWS provider discovers (hvm, x86_64 or arm64) and that carry the ENI
// limits Karpenter needs for max pods; Mac and i386-only types and the few records without ENI data are dropped.
func toSpec(r record) (catalog.Spec, bool) {
	arch := ""
	for _, a := range r.Arch {
		if a == catalog.ArchX86 || a == catalog.ArchARM {
			arch = a
		}
	}
	if arch == "" || r.VPC == nil || r.VPC.MaxENIs == 0 || r.VPC.IPsPerENI == 0 || r.VCPU == 0 {
		return catalog.Spec{}, false
	}
	s := catalog.Spec{
		Name:            r.InstanceType,
		VCPU:            r.VCPU,
		MemoryMiB:       int64(math.Round(r.Memory * 1024)),
		Arch:            arch,
		CPUManufacturer: cpuManufacturer(r.PhysicalProcessor),
		ClockGHz:        clockGHz(r.ClockSpeed),
		MaxENIs:         r.VPC.MaxENIs,
		IPv4PerENI:      r.VPC.IPsPerENI,
		EBSMbps:         int32(r.EBSMaxBandwidth),
	}
	if r.Storage != nil && r.Storage.NVMeSSD {
		s.LocalNVMeGB = r.Storage.Devices * int64(r.Storage.Size)
	}
	if r.GPU > 0 && r.GPUModel != nil {
		model := *r.GPUModel
		switch {
		case strings.HasPrefix(model, "NVIDIA "), strings.HasPrefix(model, "AMD "):
			manufacturer, name, _ := strings.Cut(model, " ")
			s.GPUManufacturer = manufacturer
			s.GPUName = gpuName(name)
			s.GPUCount = r.GPU
			s.GPUMemoryMiB = int32(math.Round(r.GPUMemory * 1024 / float64(r.GPU)))
		case strings.HasPrefix(model, "AWS "):
			// Inferentia and Trainium are Neuron devices, not GPUs; ec2instances.info files them under GPU.
			s.NeuronDevices = r.GPU
			s.NeuronName = strings.ToLower(strings.TrimPrefix(model, "AWS "))
		}
	}
	return s, true
}

// gpuName drops the marketing words EC2's DescribeInstanceTypes leaves out ("Tesla V100" is "V100", "T4 Tensor Core"
// is "T4"), so Karpenter's instance-gpu-name label matches what a live cluster shows.
func gpuName(name string) string {
	name = strings.TrimPrefix(name, "Tesla ")
	name = strings.TrimPrefix(name, "GRID ")
	return strings.TrimSuffix(name, " Tensor Core")
}

func cpuManufacturer(processor string) string {
	switch {
	case strings.Contains(processor, "Graviton"):
		return "AWS"
	case strings.Contains(processor, "Intel"):
		return "Intel"
	case strings.Contains(processor, "AMD"):
		return "AMD"
	}
	return ""
}

func clockGHz(v any) float64 {
	switch t := v.(type) {
	case float64:
		return t
	case string:
		if m := ghzPattern.FindStringSubmatch(t); m != nil {
			f, err := strconv.ParseFloat(m[1], 64)
			if err == nil {
				return f
			}
		}
	}
	return 0
}

// toPrice reads the on-demand price and averages the per-AZ spot prices; the dataset does not say which AZ each
// spot price belongs to, so the average is the honest single figure.
func toPrice(p *osPrices) (catalog.Price, bool, error) {
	if p.OnDemand == "" {
		return catalog.Price{}, false, nil
	}
	od, err := strconv.ParseFloat(p.OnDemand, 64)
	if err != nil {
		return catalog.Price{}, false, fmt.Errorf("on-demand price %q: %w", p.OnDemand, err)
	}
	if od <= 0 {
		return catalog.Price{}, false, nil
	}
	sum, n := 0.0, 0
	for _, s := range p.Spot {
		v, err := strconv.ParseFloat(s, 64)
		if err != nil {
			return catalog.Price{}, false, fmt.Errorf("spot price %q: %w", s, err)
		}
		if v > 0 {
			sum += v
			n++
		}
	}
	price := catalog.Price{OnDemand: od}
	if n > 0 {
		price.Spot = math.Round(sum/float64(n)*1e6) / 1e6
	}
	return price, true, nil
}

func write(path string, snap *catalog.Snapshot) error {
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("create snapshot: %w", err)
	}
	zw, err := gzip.NewWriterLevel(f, gzip.BestCompression)
	if err != nil {
		return errors.Join(fmt.Errorf("gzip: %w", err), f.Close())
	}
	if err := json.NewEncoder(zw).Encode(snap); err != nil {
		return errors.Join(fmt.Errorf("encode snapshot: %w", err), zw.Close(), f.Close())
	}
	if err := zw.Close(); err != nil {
		return errors.Join(fmt.Errorf("gzip close: %w", err), f.Close())
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("close snapshot: %w", err)
	}
	return nil
}
