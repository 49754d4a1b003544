/*++

Module Name:

    queue.h

Abstract:

    A bounded per-reader record queue: a byte ring of a fixed capacity that
    holds whole wire records (proctree/wire.h) end to end, assigns each
    reader's sequence numbers, and turns drops into one PT_REC_EVENTS_LOST
    record carrying the exact count once space frees.

    Plain C with no kernel calls and no locking: the caller holds the
    reader's lock around every call. This lets the same file build into
    proctree.sys and into the native Linux unit tests.

Environment:

    Kernel mode (any IRQL <= DISPATCH_LEVEL; storage must be nonpaged) and
    native user mode for tests.

--*/

#ifndef PROCTREE_QUEUE_H
#define PROCTREE_QUEUE_H

#include <proctree/wire.h>
#include "pt_sal.h"

typedef struct _PT_QUEUE {
    uint8_t *Ring;          /* Capacity bytes, caller-owned */
    uint32_t Capacity;      /* multiple of 8 */
    uint32_t Head;          /* offset of the oldest record */
    uint32_t Used;          /* bytes queued */
    uint32_t Records;       /* records queued */
    uint64_t NextSeq;       /* sequence number of the next record queued */
    uint64_t LostPending;   /* drops not yet reported by an events-lost record */
    uint64_t DroppedTotal;  /* drops since init */
    uint64_t Delivered;     /* records popped since init */
} PT_QUEUE;

/* Results of PtQueuePush */
#define PT_QUEUED  0
#define PT_DROPPED 1

/* Initialise over `ring` (capacity rounded down to a multiple of 8). */
void PtQueueInit(PT_QUEUE *Queue, void *Ring, uint32_t Capacity);

/* Append a copy of one whole record (size taken from its header, which must
 * be a multiple of 8 and at least a record header). Its seq is rewritten.
 * If drops are pending, an events-lost record goes in first; when the two do
 * not fit, this record is dropped too and counted. */
int PtQueuePush(PT_QUEUE *Queue, const void *Record, uint64_t NowNs);

/* Queue the pending events-lost record if it fits; returns 1 if it did. */
int PtQueueFlushLost(PT_QUEUE *Queue, uint64_t NowNs);

/* Size of the oldest record, 0 when empty. */
uint32_t PtQueueNextSize(const PT_QUEUE *Queue);

/* Move as many whole records as fit into Buffer (Capacity bytes); returns
 * the bytes written (0 when empty or when the next record does not fit).
 * Afterwards it queues the pending events-lost record when there is room. */
uint32_t PtQueuePop(PT_QUEUE *Queue, void *Buffer, uint32_t Capacity, uint64_t NowNs);

#endif /* PROCTREE_QUEUE_H */
