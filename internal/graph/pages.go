package graph

import (
	"context"
	"fmt"

	"github.com/microsoft/kiota-abstractions-go/serialization"
	msgraphgocore "github.com/microsoftgraph/msgraph-sdk-go-core"
)

// followUps are the reads a $batch item's callback leaves for after the
// batch: the further pages of a collection Graph answered with an
// @odata.nextLink (owners, app role assignments, grants and federated
// credentials come 100 to a page, in $batch as outside it).
type followUps struct{ fns []func(context.Context) error }

// add queues a follow-up; callbacks of one Client run one at a time.
func (f *followUps) add(fn func(context.Context) error) { f.fns = append(f.fns, fn) }

// run runs the queued follow-ups in order.
func (f *followUps) run(ctx context.Context) error {
	for _, fn := range f.fns {
		if err := fn(ctx); err != nil {
			return err
		}
	}
	return nil
}

// eachItem calls fn for every item of a collection, page is its first page
// and ctor the factory of its collection response: the items of page, then
// those of each page its @odata.nextLink leads to.
func eachItem[T any](ctx context.Context, c *Client, what string, page serialization.Parsable, ctor serialization.ParsableFactory, fn func(T)) error {
	it, err := msgraphgocore.NewPageIterator[T](page, c.adapter, ctor)
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	if err := it.Iterate(ctx, func(v T) bool { fn(v); return true }); err != nil {
		return wrap(err, "%s", what)
	}
	return nil
}

// batchFollowing sends steps in $batch, then runs the follow-ups their
// callbacks queued in f.
func (c *Client) batchFollowing(ctx context.Context, steps []step, f *followUps) error {
	if err := c.batch(ctx, steps); err != nil {
		return err
	}
	return f.run(ctx)
}
