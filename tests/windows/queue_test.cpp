// Unit tests of the driver's bounded per-reader queue (driver/windows/sys/queue.c),
// compiled natively: order and sequence numbers, records wrapping the ring's end,
// drop counting delivered as one events-lost record with the exact count, and a
// randomised comparison against a simple model.
#include <gtest/gtest.h>

#include <cstring>
#include <random>
#include <vector>

extern "C" {
#include "queue.h"
}
#include <proctree/wire_encode.h>

namespace {

struct Ring {
    explicit Ring(uint32_t cap) : mem(cap) { PtQueueInit(&q, mem.data(), cap); }
    std::vector<uint8_t> mem;
    PT_QUEUE q{};
};

// A thread-exit record whose pid tags it; size 48.
std::vector<uint8_t> taggedRecord(uint32_t pid)
{
    std::vector<uint8_t> r(sizeof(pt_thread));
    pt_encode_thread(r.data(), (uint32_t)r.size(), PT_REC_THREAD_EXIT, 999, 1, pt_ident{pid, 0, 5}, 1, 0);
    return r;
}

// A rename record of a chosen padded size (>= 48), tagged by pid, with a fill pattern.
std::vector<uint8_t> sizedRecord(uint32_t pid, uint32_t size)
{
    std::string name(size - PT_PROCESS_RENAME_FIXED, char('a' + pid % 26));
    std::vector<uint8_t> r(size);
    EXPECT_EQ(
        pt_encode_process_rename(r.data(), size, 0, 1, pt_ident{pid, 0, 5}, pt_str{name.data(), (uint32_t)name.size()}),
        size);
    return r;
}

struct Parsed {
    std::vector<const pt_record_header *> recs;
};

Parsed parse(const std::vector<uint8_t> &buf, uint32_t len)
{
    Parsed p;
    uint32_t off = 0;
    while (off < len) {
        auto *h = reinterpret_cast<const pt_record_header *>(buf.data() + off);
        EXPECT_GE(h->size, sizeof(pt_record_header));
        EXPECT_EQ(h->size % 8, 0u);
        p.recs.push_back(h);
        off += h->size;
    }
    EXPECT_EQ(off, len);
    return p;
}

uint32_t pidOf(const pt_record_header *h) { return reinterpret_cast<const pt_thread *>(h)->proc.pid; }

}  // namespace

TEST(DriverQueue, KeepsOrderAndNumbersRecords)
{
    Ring r(4096);
    for (uint32_t i = 0; i < 10; i++) ASSERT_EQ(PtQueuePush(&r.q, taggedRecord(100 + i).data(), 7), PT_QUEUED);
    EXPECT_EQ(r.q.Records, 10u);
    EXPECT_EQ(r.q.Used, 480u);
    EXPECT_EQ(PtQueueNextSize(&r.q), 48u);
    std::vector<uint8_t> out(4096);
    uint32_t n = PtQueuePop(&r.q, out.data(), (uint32_t)out.size(), 8);
    ASSERT_EQ(n, 480u);
    auto p = parse(out, n);
    ASSERT_EQ(p.recs.size(), 10u);
    for (uint32_t i = 0; i < 10; i++) {
        EXPECT_EQ(p.recs[i]->seq, i);       // the queue's numbering, not the builder's 999
        EXPECT_EQ(p.recs[i]->time_ns, 1u);  // the record's own time is kept
        EXPECT_EQ(pidOf(p.recs[i]), 100 + i);
    }
    EXPECT_EQ(r.q.Used, 0u);
    EXPECT_EQ(PtQueueNextSize(&r.q), 0u);
    EXPECT_EQ(PtQueuePop(&r.q, out.data(), (uint32_t)out.size(), 9), 0u);
    EXPECT_EQ(r.q.Delivered, 10u);
}

TEST(DriverQueue, PopsOnlyWholeRecordsThatFit)
{
    Ring r(4096);
    PtQueuePush(&r.q, sizedRecord(1, 200).data(), 1);
    PtQueuePush(&r.q, sizedRecord(2, 200).data(), 1);
    std::vector<uint8_t> out(4096);
    EXPECT_EQ(PtQueuePop(&r.q, out.data(), 199, 1), 0u);  // too small for the first: nothing taken
    EXPECT_EQ(r.q.Records, 2u);
    EXPECT_EQ(PtQueuePop(&r.q, out.data(), 399, 1), 200u);  // one fits, not two
    EXPECT_EQ(PtQueueNextSize(&r.q), 200u);
    EXPECT_EQ(PtQueuePop(&r.q, out.data(), 400, 1), 200u);
}

TEST(DriverQueue, RecordsWrapAroundTheRingIntact)
{
    Ring r(1000);  // rounded down to 1000 (a multiple of 8); records of 136 bytes wrap
    std::vector<uint8_t> out(2000);
    uint32_t next = 0, expect = 0;
    for (int round = 0; round < 50; round++) {
        while (PtQueuePush(&r.q, sizedRecord(next, 136).data(), 1) == PT_QUEUED) next++;
        // undo the drop that ended the loop so nothing is lost in this test
        r.q.LostPending = 0;
        r.q.DroppedTotal = 0;
        uint32_t n = PtQueuePop(&r.q, out.data(), 136 * 3, 1);
        auto p = parse(out, n);
        for (auto *h : p.recs) {
            auto *rn = reinterpret_cast<const pt_process_rename *>(h);
            ASSERT_EQ(rn->proc.pid, expect);
            std::string want(136 - PT_PROCESS_RENAME_FIXED, char('a' + expect % 26));
            ASSERT_EQ(
                std::memcmp(reinterpret_cast<const char *>(h) + PT_PROCESS_RENAME_FIXED, want.data(), want.size()), 0);
            expect++;
        }
    }
    EXPECT_GT(expect, 100u);
}

TEST(DriverQueue, DropsAreReportedOnceWithTheExactCount)
{
    Ring r(48 * 10);
    for (uint32_t i = 0; i < 10; i++) ASSERT_EQ(PtQueuePush(&r.q, taggedRecord(i).data(), 1), PT_QUEUED);
    for (uint32_t i = 10; i < 25; i++) ASSERT_EQ(PtQueuePush(&r.q, taggedRecord(i).data(), 1), PT_DROPPED);
    EXPECT_EQ(r.q.LostPending, 15u);
    EXPECT_EQ(r.q.DroppedTotal, 15u);

    std::vector<uint8_t> out(4096);
    uint32_t n = PtQueuePop(&r.q, out.data(), (uint32_t)out.size(), 77);
    auto p = parse(out, n);
    ASSERT_EQ(p.recs.size(), 11u);  // the 10 kept, then the events-lost record in the same read
    auto *lost = reinterpret_cast<const pt_events_lost *>(p.recs[10]);
    EXPECT_EQ(lost->h.type, PT_REC_EVENTS_LOST);
    EXPECT_EQ(lost->count, 15u);
    EXPECT_EQ(lost->reason, PT_LOST_QUEUE_FULL);
    EXPECT_EQ(lost->h.time_ns, 77u);
    EXPECT_EQ(lost->h.seq, 10u);
    EXPECT_EQ(r.q.LostPending, 0u);

    // a second episode is reported separately, after the records before it
    for (uint32_t i = 0; i < 10; i++) PtQueuePush(&r.q, taggedRecord(100 + i).data(), 1);
    PtQueuePush(&r.q, taggedRecord(200).data(), 1);
    PtQueuePush(&r.q, taggedRecord(201).data(), 1);
    n = PtQueuePop(&r.q, out.data(), 48 * 3, 78);  // partial read frees space
    EXPECT_EQ(n, 48u * 3);
    // the lost record waits behind the 7 still queued
    ASSERT_EQ(PtQueuePush(&r.q, taggedRecord(300).data(), 79), PT_QUEUED);
    n = PtQueuePop(&r.q, out.data(), (uint32_t)out.size(), 80);
    p = parse(out, n);
    ASSERT_EQ(p.recs.size(), 9u);
    EXPECT_EQ(pidOf(p.recs[6]), 109u);
    EXPECT_EQ(p.recs[7]->type, PT_REC_EVENTS_LOST);
    EXPECT_EQ(reinterpret_cast<const pt_events_lost *>(p.recs[7])->count, 2u);
    EXPECT_EQ(pidOf(p.recs[8]), 300u);
    for (size_t i = 1; i < p.recs.size(); i++) EXPECT_EQ(p.recs[i]->seq, p.recs[i - 1]->seq + 1);
    EXPECT_EQ(r.q.DroppedTotal, 17u);
}

TEST(DriverQueue, PendingLossNeedsRoomForBoth)
{
    Ring r(48 * 3);
    for (uint32_t i = 0; i < 4; i++) PtQueuePush(&r.q, taggedRecord(i).data(), 1);  // 3 kept, 1 dropped
    std::vector<uint8_t> out(48);
    ASSERT_EQ(PtQueuePop(&r.q, out.data(), 48, 1), 48u);  // one freed: 48 bytes, but the lost record goes first
    EXPECT_EQ(r.q.LostPending, 0u);                       // flushed into the freed space (40 <= 48)
    EXPECT_EQ(PtQueuePush(&r.q, taggedRecord(9).data(), 1), PT_DROPPED);  // 8 bytes free: dropped, counted
    EXPECT_EQ(r.q.LostPending, 1u);
}

TEST(DriverQueue, RejectsMalformedSizesAsDrops)
{
    Ring r(4096);
    auto rec = taggedRecord(1);
    reinterpret_cast<pt_record_header *>(rec.data())->size = 44;  // not a multiple of 8
    EXPECT_EQ(PtQueuePush(&r.q, rec.data(), 1), PT_DROPPED);
    reinterpret_cast<pt_record_header *>(rec.data())->size = 16;  // smaller than a header
    EXPECT_EQ(PtQueuePush(&r.q, rec.data(), 1), PT_DROPPED);
    EXPECT_EQ(r.q.Used, 0u);
    EXPECT_EQ(r.q.LostPending, 2u);
}

// Random pushes and pops against a model: every record pushed is either
// delivered (in order, intact) or counted in exactly one events-lost record.
TEST(DriverQueue, RandomisedAgainstModel)
{
    std::mt19937 rng(12345);
    for (int trial = 0; trial < 20; trial++) {
        uint32_t cap = 8 * std::uniform_int_distribution<uint32_t>(20, 400)(rng);
        Ring r(cap);
        std::vector<uint8_t> out(70000);
        uint32_t pushed = 0, delivered = 0, nextExpected = 0;
        uint64_t lostSum = 0, seq = 0;
        for (int step = 0; step < 3000; step++) {
            if (rng() % 3 != 0) {
                uint32_t size = 48 + 8 * (rng() % 20);
                PtQueuePush(&r.q, sizedRecord(pushed, size).data(), 1);
                pushed++;
            } else {
                uint32_t bufLen = 8 * (rng() % 200);
                uint32_t n = PtQueuePop(&r.q, out.data(), bufLen, 2);
                ASSERT_LE(n, bufLen);
                for (auto *h : parse(out, n).recs) {
                    ASSERT_EQ(h->seq, seq++);
                    if (h->type == PT_REC_EVENTS_LOST) {
                        auto c = reinterpret_cast<const pt_events_lost *>(h)->count;
                        ASSERT_GT(c, 0u);
                        lostSum += c;
                        nextExpected += (uint32_t)c;
                    } else {
                        uint32_t pid = reinterpret_cast<const pt_process_rename *>(h)->proc.pid;
                        ASSERT_EQ(pid, nextExpected) << "trial " << trial << " step " << step;
                        nextExpected++;
                        delivered++;
                    }
                }
            }
            ASSERT_LE(r.q.Used, r.q.Capacity);
        }
        // drain
        for (;;) {
            uint32_t n = PtQueuePop(&r.q, out.data(), (uint32_t)out.size(), 3);
            if (n == 0) break;
            for (auto *h : parse(out, n).recs) {
                if (h->type == PT_REC_EVENTS_LOST) lostSum += reinterpret_cast<const pt_events_lost *>(h)->count;
                else delivered++;
            }
        }
        EXPECT_EQ(r.q.LostPending, 0u);
        EXPECT_EQ(delivered + lostSum, pushed) << "trial " << trial;
        EXPECT_EQ(lostSum, r.q.DroppedTotal);
    }
}
