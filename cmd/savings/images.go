package main

import (
	"context"
	"flag"
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"

	"github.com/karpenter-savings/karpenter-savings/internal/savings/images"
)

// imageFlags are the flags that say where the workload's images' platforms come from.
type imageFlags struct {
	mode    string
	cache   string
	timeout time.Duration
}

func (f *imageFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&f.mode, "images", images.ModeAuto, "where each image's platforms come from: auto (registries; an image that cannot be read is "+
		"assumed multi-arch and named), registry (registries; fail when one cannot be read), assume (read nothing; every image multi-arch), "+
		`or FILE, a JSON object {"image as written": ["linux/amd64", ...]} naming every image`)
	fs.StringVar(&f.cache, "images-cache", "", "file that keeps the registries' answers by reference, in the FILE format (default: "+
		"<user cache dir>/karpenter-savings/images.json; \"off\" keeps none)")
	fs.DurationVar(&f.timeout, "images-timeout", images.DefaultTimeout, "time allowed to read one image's platforms from its registry")
}

// check validates the flags before any work, so that a typo fails at once.
func (f *imageFlags) check() error {
	mode, _, err := images.ParseMode(f.mode)
	switch {
	case err != nil:
		return err
	case f.timeout <= 0:
		return fmt.Errorf("--images-timeout %s: want a positive duration", f.timeout)
	case f.cache != "" && mode != images.ModeAuto && mode != images.ModeRegistry:
		// No registry is read, so no cache would be written: a user who expects one (to commit it) is told now.
		return fmt.Errorf("--images-cache %s: only --images auto or registry read registries and keep a cache, not --images %s", f.cache, f.mode)
	}
	return nil
}

// resolve finds the platforms of the pods' images as the flags say.
func (f *imageFlags) resolve(ctx context.Context, pods ...[]*corev1.Pod) (*images.Result, error) {
	mode, file, err := images.ParseMode(f.mode)
	if err != nil {
		return nil, err
	}
	l := &images.Lookup{Timeout: f.timeout}
	if mode == images.ModeAuto || mode == images.ModeRegistry {
		switch f.cache {
		case "off":
		case "":
			if l.CachePath, err = images.DefaultCachePath(); err != nil {
				return nil, fmt.Errorf("%w; pass --images-cache FILE or off", err)
			}
		default:
			l.CachePath = f.cache
		}
	}
	return images.Resolve(ctx, mode, file, images.Refs(pods...), l)
}
