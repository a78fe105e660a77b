package graph

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	abstractions "github.com/microsoft/kiota-abstractions-go"
	"github.com/microsoft/kiota-abstractions-go/serialization"
	msgraphgocore "github.com/microsoftgraph/msgraph-sdk-go-core"
)

// maxBatch is Graph's limit of requests in one $batch.
const maxBatch = 20

// batchConcurrency bounds the $batch requests in flight at once.
const batchConcurrency = 4

// step is one request inside a $batch. done receives the parsed body (nil
// for 204 or when ctor is nil) or the item's error; its own error aborts the
// batch.
type step struct {
	what string // for error messages: "reading federated credentials of contoso-web"
	info *abstractions.RequestInformation
	ctor serialization.ParsableFactory
	done func(v serialization.Parsable, err error) error
}

// batch sends steps in $batch requests of up to 20 and retries items Graph
// throttled (429) or could not serve (503, 504) after their Retry-After,
// since the SDK does not retry inside a batch. At most batchConcurrency
// $batch requests of a Client are in flight, however many batch calls run
// at once; the done callbacks of a Client run one at a time, so they may
// share state without locking.
func (c *Client) batch(ctx context.Context, steps []step) error {
	var chunks [][]step
	for len(steps) > 0 {
		n := min(maxBatch, len(steps))
		chunks = append(chunks, steps[:n])
		steps = steps[n:]
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	var first error
	for _, chunk := range chunks {
		select {
		case c.inflight <- struct{}{}:
		case <-ctx.Done():
			wg.Wait()
			return ctx.Err()
		}
		wg.Add(1)
		go func() {
			defer func() { <-c.inflight; wg.Done() }()
			if err := c.sendChunk(ctx, chunk); err != nil {
				mu.Lock()
				if first == nil {
					first = err
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	return first
}

func (c *Client) sendChunk(ctx context.Context, chunk []step) error {
	done := &c.doneMu
	for attempt := 0; ; attempt++ {
		req := msgraphgocore.NewBatchRequest(c.adapter)
		byID := map[string]step{}
		for _, s := range chunk {
			item, err := req.AddBatchRequestStep(*s.info)
			if err != nil {
				return fmt.Errorf("building $batch for %s: %w", s.what, err)
			}
			byID[*item.GetId()] = s
		}
		resp, err := req.Send(ctx, c.adapter)
		if err != nil {
			return wrap(err, "sending $batch (%s, …)", chunk[0].what)
		}
		var retry []step
		var wait time.Duration
		for id, s := range byID {
			item := resp.GetResponseById(id)
			if item == nil || item.GetStatus() == nil {
				return fmt.Errorf("%s: $batch response has no item %s", s.what, id)
			}
			st := int(*item.GetStatus())
			if st == http.StatusTooManyRequests || st == http.StatusServiceUnavailable || st == http.StatusGatewayTimeout {
				retry = append(retry, s)
				wait = max(wait, retryAfter(item.GetHeaders()))
				continue
			}
			if st >= 400 {
				done.Lock()
				err := s.done(nil, itemError(item, st, s.what))
				done.Unlock()
				if err != nil {
					return err
				}
				continue
			}
			var v serialization.Parsable
			if s.ctor != nil && st != http.StatusNoContent && item.GetBody() != nil {
				v, err = msgraphgocore.GetBatchResponseById[serialization.Parsable](resp, id, s.ctor)
				if err != nil {
					return fmt.Errorf("%s: parsing $batch item: %w", s.what, err)
				}
			}
			done.Lock()
			err := s.done(v, nil)
			done.Unlock()
			if err != nil {
				return err
			}
		}
		if len(retry) == 0 {
			return nil
		}
		if attempt >= c.opts.MaxRetries {
			return fmt.Errorf("%s: still throttled after %d retries of its $batch item", retry[0].what, attempt)
		}
		c.log.DebugContext(ctx, "graph $batch items throttled, retrying", "items", len(retry), "wait", wait)
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(wait):
		}
		chunk = retry
	}
}

// retryAfter reads an item's Retry-After header (seconds, possibly
// fractional); absent means one second.
func retryAfter(h msgraphgocore.RequestHeader) time.Duration {
	for k, v := range h {
		if strings.EqualFold(k, "Retry-After") {
			if s, err := strconv.ParseFloat(strings.TrimSpace(v), 64); err == nil && s >= 0 {
				return min(time.Duration(s*float64(time.Second)), time.Minute)
			}
		}
	}
	return time.Second
}

// itemError turns a failed $batch item into an *Error with Graph's code and
// message.
func itemError(item msgraphgocore.BatchItem, st int, what string) error {
	e := &Error{Op: what, Status: st}
	if body := item.GetBody(); body != nil {
		raw, _ := json.Marshal(body)
		var parsed struct {
			Error struct {
				Code       string `json:"code"`
				Message    string `json:"message"`
				InnerError struct {
					RequestID string `json:"request-id"`
				} `json:"innerError"`
			} `json:"error"`
		}
		if json.Unmarshal(raw, &parsed) == nil {
			e.Code, e.Message, e.RequestID = parsed.Error.Code, parsed.Error.Message, parsed.Error.InnerError.RequestID
		}
	}
	return e
}
