package images

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
	"github.com/google/go-containerregistry/pkg/authn"
)

// Keychain is the Docker config's credentials (docker login, credential helpers) and, for a private ECR registry
// they have nothing for, a token from ECR through the default AWS credential chain; anonymous otherwise.
// ECR is asked through aws-sdk-go-v2, which the module already has, rather than amazon-ecr-credential-helper, whose
// newer SDK would be pulled into every other AWS client of the module.
func Keychain() authn.Keychain {
	return authn.NewMultiKeychain(authn.DefaultKeychain, &ECRKeychain{})
}

// ecrRegistry matches a private ECR registry's host: account, region (and the partition's suffix), on the IPv4
// endpoint or the dual-stack one, <account>.dkr-ecr.<region>.on.aws, which ECR's user guide gives for IPv6 clients.
var ecrRegistry = regexp.MustCompile(`^([0-9]{12})\.(?:dkr\.ecr(?:-fips)?\.([a-z0-9-]+)\.amazonaws\.com(?:\.cn)?|dkr-ecr(?:-fips)?\.([a-z0-9-]+)\.on\.aws)$`)

// TokenGetter is the part of ECR's API the keychain calls; *ecr.Client has it.
type TokenGetter interface {
	GetAuthorizationToken(ctx context.Context, in *ecr.GetAuthorizationTokenInput, opts ...func(*ecr.Options)) (*ecr.GetAuthorizationTokenOutput, error)
}

// ECRKeychain authenticates to private ECR registries with GetAuthorizationToken; other registries get anonymous.
type ECRKeychain struct {
	// NewClient returns the ECR client of a region. Optional; default: the default AWS credential chain's.
	NewClient func(ctx context.Context, region string) (TokenGetter, error)

	mu     sync.Mutex
	tokens map[string]*authn.Basic
}

// Resolve implements authn.Keychain.
func (k *ECRKeychain) Resolve(target authn.Resource) (authn.Authenticator, error) {
	return k.ResolveContext(context.Background(), target)
}

// ResolveContext implements authn.ContextKeychain: one token per registry for the process, which outlives no
// estimate (ECR's tokens last 12 hours).
func (k *ECRKeychain) ResolveContext(ctx context.Context, target authn.Resource) (authn.Authenticator, error) {
	host := target.RegistryStr()
	m := ecrRegistry.FindStringSubmatch(host)
	if m == nil {
		return authn.Anonymous, nil
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	if b, ok := k.tokens[host]; ok {
		return b, nil
	}
	newClient := k.NewClient
	if newClient == nil {
		newClient = defaultECRClient
	}
	client, err := newClient(ctx, m[2]+m[3]) // one of the two is empty
	if err != nil {
		return nil, fmt.Errorf("ECR %s: %w", host, err)
	}
	out, err := client.GetAuthorizationToken(ctx, &ecr.GetAuthorizationTokenInput{})
	if err != nil {
		return nil, fmt.Errorf("ECR %s: GetAuthorizationToken: %w", host, err)
	}
	if len(out.AuthorizationData) == 0 || out.AuthorizationData[0].AuthorizationToken == nil {
		return nil, fmt.Errorf("ECR %s: GetAuthorizationToken returned no token", host)
	}
	raw, err := base64.StdEncoding.DecodeString(aws.ToString(out.AuthorizationData[0].AuthorizationToken))
	if err != nil {
		return nil, fmt.Errorf("ECR %s: token: %w", host, err)
	}
	user, pass, ok := strings.Cut(string(raw), ":")
	if !ok {
		return nil, errors.New("ECR " + host + ": token is not user:password")
	}
	b := &authn.Basic{Username: user, Password: pass}
	if k.tokens == nil {
		k.tokens = map[string]*authn.Basic{}
	}
	k.tokens[host] = b
	return b, nil
}

// ecrTimeout bounds loading the AWS configuration, which may ask the instance metadata service.
const ecrTimeout = 10 * time.Second

func defaultECRClient(ctx context.Context, region string) (TokenGetter, error) {
	ctx, cancel := context.WithTimeout(ctx, ecrTimeout)
	defer cancel()
	cfg, err := awsconfig.LoadDefaultConfig(ctx, awsconfig.WithRegion(region))
	if err != nil {
		return nil, fmt.Errorf("AWS configuration: %w", err)
	}
	return ecr.NewFromConfig(cfg), nil
}
