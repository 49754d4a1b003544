// Unit tests of the driver's readers and inverted call (driver/windows/sys/reader.c),
// compiled natively through tests/windows/shim: PtReportEvent -> every reader's
// queue -> pended reads completed, with the shim's pool made to fail, its
// IoCompleteRequest observed (the reader's reference and every spin lock must be
// released by then), and the per-read copy bound.
#include <gtest/gtest.h>

#include <cstring>
#include <string>
#include <vector>

extern "C" {
#include "proctree.h"

PT_GLOBALS PtGlobals;

ULONG64 PtNowNs(void) { return 1000; }
}

#include "reader_fixture.hpp"

namespace {

struct Completion {
    PIRP irp;
    NTSTATUS status;
    ULONG_PTR information;
    LONG refCountAtCompletion;
    int locksHeld;
};

std::vector<Completion> g_completions;
PPT_READER g_observed;  // whose RefCount the completion hook records

void onComplete(PIRP irp)
{
    g_completions.push_back({irp, irp->IoStatus.Status, irp->IoStatus.Information,
                             g_observed ? g_observed->RefCount : -1, pt_shim_locks_held});
}

struct Read {
    explicit Read(ULONG length) : buffer(length)
    {
        std::memset(&irp, 0, sizeof irp);
        irp.AssociatedIrp.SystemBuffer = buffer.data();
        irp.Stack.Parameters.Read.Length = length;
    }
    IRP irp;
    std::vector<uint8_t> buffer;
};

class ReaderTest : public ::testing::Test {
protected:
    void SetUp() override
    {
        pt_shim_fail_after = -1;
        pt_shim_locks_held = 0;
        g_completions.clear();
        std::memset(&PtGlobals, 0, sizeof PtGlobals);
        KeInitializeSpinLock(&PtGlobals.ReadersLock);
        InitializeListHead(&PtGlobals.Readers);
        pt_shim_on_complete = onComplete;
    }

    void TearDown() override
    {
        for (PPT_READER r : readers_) {
            if (r->Attached) {
                RemoveEntryList(&r->Link);
            }
            EXPECT_EQ(r->RefCount, 1) << "a pended read's reference was not released";
            PtReaderRelease(r);
        }
        pt_shim_on_complete = nullptr;
        g_observed = nullptr;
        pt_shim_fail_after = -1;
        EXPECT_EQ(pt_shim_locks_held, 0);
        EXPECT_EQ(pt_shim_live_allocations, 0) << "leaked";
    }

    // As PtDispatchCreate: an attached reader with its own queue.
    PPT_READER addReader(ULONG capBytes = 64 * 1024)
    {
        PPT_READER r = pt_test_add_reader(PT_MASK_PROCESS, capBytes);
        readers_.push_back(r);
        return r;
    }

    // As PtDispatchRead with nothing queued: pend the read.
    static void pend(PPT_READER r, Read &read)
    {
        ASSERT_EQ(r->Queue.Used, 0u);
        read.irp.Tail.Overlay.DriverContext[0] = r;
        InterlockedIncrement(&r->RefCount);
        InsertTailList(&r->PendingReads, &read.irp.Tail.Overlay.ListEntry);
        r->PendingCount += 1;
        IoSetCancelRoutine(&read.irp, PtCancelRead);
    }

    static PT_FACTS exitFacts(ULONG pid)
    {
        PT_FACTS f{};
        f.Type = PT_REC_PROCESS_EXIT;
        f.Pid = pid;
        f.StartNs = 5000;
        return f;
    }

    std::vector<PPT_READER> readers_;
};

}  // namespace

// A record that cannot be built (pool exhausted) is a lost event: a reader
// waiting in a pended read must get the events-lost record at once, not after
// the next record that happens to be built.
TEST_F(ReaderTest, BuildFailureWakesPendedReadWithEventsLost)
{
    PPT_READER r = addReader();
    Read read(4096);
    pend(r, read);

    PT_FACTS f = exitFacts(42);
    pt_shim_fail_after = 0;
    PtReportEvent(&f);
    pt_shim_fail_after = -1;

    ASSERT_EQ(g_completions.size(), 1u) << "the pended read was not woken by the lost event";
    EXPECT_EQ(g_completions[0].irp, &read.irp);
    EXPECT_EQ(g_completions[0].status, STATUS_SUCCESS);
    ASSERT_EQ(g_completions[0].information, sizeof(pt_events_lost));
    auto *lost = reinterpret_cast<const pt_events_lost *>(read.buffer.data());
    EXPECT_EQ(lost->h.type, PT_REC_EVENTS_LOST);
    EXPECT_EQ(lost->count, 1u);
    EXPECT_EQ(r->Queue.Used, 0u);
    EXPECT_EQ(r->Queue.LostPending, 0u);
    EXPECT_EQ(r->Queue.DroppedTotal, 1u);
    EXPECT_EQ(PtGlobals.DroppedTotal, 1);
    EXPECT_EQ(r->PendingCount, 0u);

    // The next record follows in order, with no second events-lost record.
    Read next(4096);
    pend(r, next);
    f.Pid = 43;
    PtReportEvent(&f);
    ASSERT_EQ(g_completions.size(), 2u);
    auto *h = reinterpret_cast<const pt_record_header *>(next.buffer.data());
    EXPECT_EQ(h->type, PT_REC_PROCESS_EXIT);
    EXPECT_EQ(h->seq, lost->h.seq + 1);
    EXPECT_EQ(g_completions[1].information, h->size);
}

// With no read pended, the events-lost record is queued for the next read.
TEST_F(ReaderTest, BuildFailureQueuesEventsLostForTheNextRead)
{
    PPT_READER r = addReader();
    PT_FACTS f = exitFacts(42);
    pt_shim_fail_after = 0;
    PtReportEvent(&f);
    PtReportEvent(&f);
    pt_shim_fail_after = -1;
    EXPECT_EQ(r->Queue.Records, 2u);
    EXPECT_EQ(PtQueueNextSize(&r->Queue), sizeof(pt_events_lost));
    std::vector<uint8_t> buf(4096);
    ULONG got = PtReaderPop(r, buf.data(), (ULONG)buf.size(), 2000);
    ASSERT_EQ(got, 2 * sizeof(pt_events_lost));
    auto *lost = reinterpret_cast<const pt_events_lost *>(buf.data());
    EXPECT_EQ(lost[0].h.type, PT_REC_EVENTS_LOST);
    EXPECT_EQ(lost[0].count + lost[1].count, 2u);
}

// Completing an IRP can let the handle close and the driver unload: by then
// the read's reference on the reader is released and no lock is held.
TEST_F(ReaderTest, ReadReleasesReaderBeforeCompleting)
{
    PPT_READER r = addReader();
    g_observed = r;
    Read read(4096);
    pend(r, read);
    EXPECT_EQ(r->RefCount, 2);

    PT_FACTS f = exitFacts(7);
    PtReportEvent(&f);

    ASSERT_EQ(g_completions.size(), 1u);
    EXPECT_EQ(g_completions[0].status, STATUS_SUCCESS);
    EXPECT_EQ(g_completions[0].refCountAtCompletion, 1) << "reference released after IoCompleteRequest";
    EXPECT_EQ(g_completions[0].locksHeld, 0);
    EXPECT_EQ(read.irp.Tail.Overlay.DriverContext[0], nullptr);
}

TEST_F(ReaderTest, CancelReleasesReaderBeforeCompleting)
{
    PPT_READER r = addReader();
    g_observed = r;
    Read read(4096);
    pend(r, read);

    // As the I/O manager: take the cancel routine, then call it.
    read.irp.Cancel = TRUE;
    PDRIVER_CANCEL routine = IoSetCancelRoutine(&read.irp, nullptr);
    ASSERT_EQ(routine, &PtCancelRead);
    routine(nullptr, &read.irp);

    ASSERT_EQ(g_completions.size(), 1u);
    EXPECT_EQ(g_completions[0].status, STATUS_CANCELLED);
    EXPECT_EQ(g_completions[0].refCountAtCompletion, 1) << "reference released after IoCompleteRequest";
    EXPECT_EQ(g_completions[0].locksHeld, 0);
    EXPECT_EQ(r->PendingCount, 0u);
    EXPECT_TRUE(IsListEmpty(&r->PendingReads));
}

// Reads copy under the reader's spin lock: however large the caller's buffer,
// one read moves at most PT_READ_CHUNK_MAX bytes of whole records; the rest
// comes with the next reads, in order, nothing lost.
TEST_F(ReaderTest, ReadCopiesAtMostOneChunk)
{
    const ULONG cap = 4 * 1024 * 1024;
    PPT_READER r = addReader(cap);
    PT_FACTS f = exitFacts(1);
    uint64_t pushed = 0;
    while (r->Queue.Used < 3 * PT_READ_CHUNK_MAX) {
        f.Pid = (ULONG)(1 + pushed);
        PtReportEvent(&f);
        pushed++;
    }
    ASSERT_EQ(r->Queue.DroppedTotal, 0u);

    std::vector<uint8_t> buf(16u * 1024 * 1024);  // a 16 MB read
    uint64_t records = 0, expectSeq = 0;
    int reads = 0;
    for (;;) {
        ULONG got = PtReaderPop(r, buf.data(), (ULONG)buf.size(), 2000);
        if (got == 0) {
            break;
        }
        reads++;
        EXPECT_LE(got, PT_READ_CHUNK_MAX);
        if (r->Queue.Used != 0) {  // not the last: filled up to the bound
            EXPECT_GT(got, PT_READ_CHUNK_MAX - PT_MAX_RECORD_SIZE);
        }
        for (ULONG off = 0; off < got;) {
            auto *h = reinterpret_cast<const pt_record_header *>(buf.data() + off);
            ASSERT_EQ(h->seq, expectSeq++);
            off += h->size;
            records++;
        }
        if (r->Queue.Used == 0) {
            break;
        }
    }
    EXPECT_EQ(records, pushed);
    EXPECT_GE(reads, 3);
    EXPECT_EQ(r->Queue.Used, 0u);

    // A pended read woken by a record is bounded the same way (one record here).
    Read read(8u * 1024 * 1024);
    pend(r, read);
    PtReportEvent(&f);
    ASSERT_EQ(g_completions.size(), 1u);
    EXPECT_EQ(g_completions[0].status, STATUS_SUCCESS);
    EXPECT_GT(g_completions[0].information, 0u);
    EXPECT_LE(g_completions[0].information, PT_READ_CHUNK_MAX);
}
