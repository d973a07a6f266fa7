package dbflow

import "netobs.local/agent/externals/ebpf/internal/l7/stream"

// Queue is a connection's requests awaiting their answers, in order, and
// the count of those given up on when the stream was lost (their answers
// may still come, and must not count as unmatched). Every DB protocol
// embeds one, so the accounting of lost and unmatched answers is the same
// for all.
type Queue[T any] struct {
	Pending []T
	Lost    int
}

// Orphan accounts an answer that came with nothing pending: the answer of
// a request given up on, else an unmatched one.
func (q *Queue[T]) Orphan(ctx *stream.Ctx) {
	if q.Lost > 0 {
		q.Lost--
	} else {
		ctx.Stats().Unmatched++
	}
}

// Drop counts every pending request as unanswered and forgets them.
func (q *Queue[T]) Drop(ctx *stream.Ctx) {
	ctx.Stats().Unanswered += uint64(len(q.Pending) + q.Lost)
	clear(q.Pending)
	q.Pending, q.Lost = q.Pending[:0], 0
}

// Overflows reports whether a new request must be dropped: MaxPending
// are queued, or requests were dropped before it (its answer would be
// taken for theirs). A dropped request is counted, its answer still to come.
func (q *Queue[T]) Overflows(ctx *stream.Ctx) bool {
	if q.Lost > 0 || len(q.Pending) >= ctx.Config().MaxPending {
		q.Lost++
		ctx.Stats().PendingOverflow++
		return true
	}
	return false
}
