package photo

import (
	"context"
	"fmt"

	"golang.org/x/sync/semaphore"

	"github.com/safegrid/safegrid/inspect"
)

// DecodeBudget is how many bytes of pixels and decoder buffers all decodes in the
// process may hold at once. Every decode takes its share before it allocates and
// gives it back when its image is closed, so that the memory decoding takes is
// bounded by design, whatever the number of concurrent uploads and analyses, not by
// the upload size cap. A decode that alone needs more is refused.
const DecodeBudget = 160 << 20

// maxDecodeMemory bounds libjpeg's own buffers in one decode (a progressive JPEG
// keeps every coefficient of the full-size image: 36 MB for a 12 MP 4:2:0 one).
const maxDecodeMemory = 48 << 20

// budget is process-wide on purpose: it stands for the machine's memory, of which
// there is one, like GOMEMLIMIT.
var budget = semaphore.NewWeighted(DecodeBudget)

// acquire takes n bytes of the decode budget, waiting for other decodes to finish
// when it is spent. It returns the function that gives them back. A decode takes
// all it will need at once and never more while it holds some, so that decodes
// cannot wait on each other for ever.
func acquire(n int64) (release func(), err error) {
	if err := take(n); err != nil {
		return nil, err
	}
	return func() { budget.Release(n) }, nil
}

// take takes n bytes of the decode budget; see acquire.
func take(n int64) error {
	if n > DecodeBudget {
		return inspect.Errorf(inspect.ETOOLARGE, "the photo needs %d MB of memory to decode, more than the %d MB we allow; send a JPEG or a smaller photo",
			n>>20, DecodeBudget>>20)
	}
	if err := budget.Acquire(context.Background(), n); err != nil {
		return fmt.Errorf("decode budget: %w", err)
	}
	return nil
}
