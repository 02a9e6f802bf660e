// Package mockstest holds what the tests of every component share over a mocks.Recording. Only tests import it,
// so that the programs that link mocks (cmd/render) link no testing package.
package mockstest

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/karpenter-savings/karpenter-savings/internal/offline/mocks"
)

// One returns the single recorded resource of token whose logical name is name, and fails t when there is none or
// more than one.
func One(t testing.TB, rec *mocks.Recording, token, name string) mocks.Resource {
	t.Helper()
	r, err := rec.One(token, name)
	require.NoError(t, err)
	return r
}
