/*++

Module Name:

    queue.c

Abstract:

    The bounded per-reader ring of wire records (see queue.h). Records are
    stored contiguously modulo the capacity, so a record may wrap around
    the end of the ring; copies in and out are split accordingly and done
    with RtlCopyMemory (reads copy up to PT_READ_CHUNK_MAX). The caller
    serialises all calls (the reader's spin lock in the driver).

Environment:

    Kernel mode, any IRQL <= DISPATCH_LEVEL; native user mode for tests.

--*/

#include "pt_kernel.h"
#include "queue.h"

#include <proctree/wire_encode.h>

static void
PtRingWrite(
    _Inout_ PT_QUEUE *Queue,
    _In_ uint32_t Offset,
    _In_reads_bytes_(Length) const void *Source,
    _In_ uint32_t Length)
{
    uint32_t first = Queue->Capacity - Offset;

    if (first > Length) {
        first = Length;
    }
    RtlCopyMemory(Queue->Ring + Offset, Source, first);
    RtlCopyMemory(Queue->Ring, (const uint8_t *)Source + first, Length - first);
}

static void
PtRingRead(
    _In_ const PT_QUEUE *Queue,
    _In_ uint32_t Offset,
    _Out_writes_bytes_(Length) void *Destination,
    _In_ uint32_t Length)
{
    uint32_t first = Queue->Capacity - Offset;

    if (first > Length) {
        first = Length;
    }
    RtlCopyMemory(Destination, Queue->Ring + Offset, first);
    RtlCopyMemory((uint8_t *)Destination + first, Queue->Ring, Length - first);
}

static uint32_t
PtRingTail(
    _In_ const PT_QUEUE *Queue)
{
    uint32_t tail = Queue->Head + Queue->Used;

    return tail >= Queue->Capacity ? tail - Queue->Capacity : tail;
}

/* Append Length bytes whose first bytes are a record header; rewrite seq. */
static void
PtQueueAppend(
    _Inout_ PT_QUEUE *Queue,
    _In_reads_bytes_(Length) const void *Record,
    _In_ uint32_t Length)
{
    struct pt_record_header header;
    uint32_t tail = PtRingTail(Queue);

    pt__copy(&header, Record, sizeof header);
    header.seq = Queue->NextSeq++;
    PtRingWrite(Queue, tail, &header, sizeof header);
    tail += sizeof header;
    if (tail >= Queue->Capacity) {
        tail -= Queue->Capacity;
    }
    PtRingWrite(Queue, tail, (const uint8_t *)Record + sizeof header, Length - (uint32_t)sizeof header);
    Queue->Used += Length;
    Queue->Records += 1;
}

static void
PtQueueAppendLost(
    _Inout_ PT_QUEUE *Queue,
    _In_ uint64_t NowNs)
{
    struct pt_events_lost lost;

    pt_encode_events_lost(&lost, sizeof lost, 0, NowNs, Queue->LostPending, PT_LOST_QUEUE_FULL);
    PtQueueAppend(Queue, &lost, sizeof lost);
    Queue->LostPending = 0;
}

void
PtQueueInit(
    _Out_ PT_QUEUE *Queue,
    _In_ void *Ring,
    _In_ uint32_t Capacity)
{
    pt__zero(Queue, sizeof *Queue);
    Queue->Ring = (uint8_t *)Ring;
    Queue->Capacity = Capacity & ~7u;
}

int
PtQueuePush(
    _Inout_ PT_QUEUE *Queue,
    _In_ const void *Record,
    _In_ uint64_t NowNs)
{
    const struct pt_record_header *header = (const struct pt_record_header *)Record;
    uint32_t size = header->size;
    uint32_t need = size;
    uint32_t space = Queue->Capacity - Queue->Used;

    if (size < sizeof *header || (size & 7u) != 0 || size > PT_MAX_RECORD_SIZE) {
        Queue->LostPending += 1;
        Queue->DroppedTotal += 1;
        return PT_DROPPED;
    }
    if (Queue->LostPending != 0) {
        need += (uint32_t)sizeof(struct pt_events_lost);
    }
    if (need > space) {
        Queue->LostPending += 1;
        Queue->DroppedTotal += 1;
        return PT_DROPPED;
    }
    if (Queue->LostPending != 0) {
        PtQueueAppendLost(Queue, NowNs);
    }
    PtQueueAppend(Queue, Record, size);
    return PT_QUEUED;
}

int
PtQueueFlushLost(
    _Inout_ PT_QUEUE *Queue,
    _In_ uint64_t NowNs)
{
    if (Queue->LostPending == 0 ||
        Queue->Capacity - Queue->Used < sizeof(struct pt_events_lost)) {
        return 0;
    }
    PtQueueAppendLost(Queue, NowNs);
    return 1;
}

uint32_t
PtQueueNextSize(
    _In_ const PT_QUEUE *Queue)
{
    struct pt_record_header header;

    if (Queue->Used == 0) {
        return 0;
    }
    PtRingRead(Queue, Queue->Head, &header, sizeof header);
    return header.size;
}

uint32_t
PtQueuePop(
    _Inout_ PT_QUEUE *Queue,
    _Out_writes_bytes_(Capacity) void *Buffer,
    _In_ uint32_t Capacity,
    _In_ uint64_t NowNs)
{
    uint32_t written = 0;

    for (;;) {
        uint32_t size = PtQueueNextSize(Queue);

        if (size == 0 || size > Capacity - written) {
            break;
        }
        PtRingRead(Queue, Queue->Head, (uint8_t *)Buffer + written, size);
        written += size;
        Queue->Head += size;
        if (Queue->Head >= Queue->Capacity) {
            Queue->Head -= Queue->Capacity;
        }
        Queue->Used -= size;
        Queue->Records -= 1;
        Queue->Delivered += 1;
        /* An events-lost record owed to this reader goes out in this very
         * read when room remains, else it waits at the head of the queue. */
        if (Queue->Used == 0 && Queue->LostPending != 0) {
            PtQueueFlushLost(Queue, NowNs);
        }
    }
    if (Queue->Used == 0) {
        Queue->Head = 0;
    }
    PtQueueFlushLost(Queue, NowNs);
    return written;
}
