package cleanup

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/aws/smithy-go"
)

// retryableCodes are the errors AWS returns while something still depends on what is being deleted: they clear
// when the instance, load balancer or interface that holds it is gone.
var retryableCodes = map[string]bool{
	"DependencyViolation": true, // EC2: a security group still attached to an interface or referenced by a rule
	"DeleteConflict":      true, // IAM: an instance profile still in use
	"ResourceInUse":       true, // ELBv2: a load balancer still in use
}

// goneCodes mean the resource was already deleted, which is what the deletion wanted.
var goneCodes = map[string]bool{
	"InvalidInstanceID.NotFound":                  true,
	"InvalidLaunchTemplateId.NotFound":            true,
	"InvalidLaunchTemplateName.NotFoundException": true,
	"InvalidNetworkInterfaceID.NotFound":          true,
	"InvalidGroup.NotFound":                       true,
	"NoSuchEntity":                                true, // IAM
	"LoadBalancerNotFound":                        true, // ELBv2, and the Classic Load Balancer's AccessPointNotFound
}

// errorCode returns the AWS error code err carries, or "".
func errorCode(err error) string {
	var apiErr smithy.APIError
	if errors.As(err, &apiErr) {
		return apiErr.ErrorCode()
	}
	return ""
}

// ignoreGone drops an error that says the resource is already gone.
func ignoreGone(err error) error {
	if goneCodes[errorCode(err)] {
		return nil
	}
	return err
}

// retry runs op until it succeeds, fails with an error that is not retryable, or has been retried Retries times,
// waiting Delay (doubling up to MaxDelay) between attempts.
func (c *Cleaner) retry(ctx context.Context, w io.Writer, op func(context.Context) error) error {
	delay := c.opts.Retry.Delay
	for attempt := 0; ; attempt++ {
		err := ignoreGone(op(ctx))
		if err == nil {
			return nil
		}
		code := errorCode(err)
		if !retryableCodes[code] {
			return err
		}
		if attempt == c.opts.Retry.Retries {
			return fmt.Errorf("gave up after %d retries: %w", attempt, err)
		}
		fmt.Fprintf(w, "     %s; retry %d of %d in %s\n", code, attempt+1, c.opts.Retry.Retries, delay)
		if err := c.opts.Sleep(ctx, delay); err != nil {
			return err
		}
		delay = min(2*delay, c.opts.Retry.MaxDelay)
	}
}

// poll calls remaining until it returns none, up to Wait.Polls times, Wait.Interval apart; remaining lists what
// has not gone yet.
func (c *Cleaner) poll(ctx context.Context, remaining func(context.Context) ([]string, error)) error {
	var left []string
	for i := 0; i < c.opts.Wait.Polls; i++ {
		if i > 0 {
			if err := c.opts.Sleep(ctx, c.opts.Wait.Interval); err != nil {
				return err
			}
		}
		var err error
		if left, err = remaining(ctx); err != nil {
			return err
		}
		if len(left) == 0 {
			return nil
		}
	}
	return fmt.Errorf("still there after %s: %v", time.Duration(c.opts.Wait.Polls-1)*c.opts.Wait.Interval, left)
}

// sleep waits d, or until ctx ends.
func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
