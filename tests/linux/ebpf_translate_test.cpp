// Unit tests of the eBPF seam: canned ring-buffer events (pt_bpf_event.h)
// through ebpf::Translator into wire records, checked byte field by field.
#include "translate.hpp"

#include "pt_bpf_event.h"

#include <gtest/gtest.h>

#include <cstring>
#include <string>
#include <vector>

namespace ebpf = proctree::collect::ebpf;
using proctree::collect::ByteSink;
using proctree::collect::WireWriter;

namespace {

struct MemorySink final : ByteSink {
    std::vector<std::vector<unsigned char>> records;
    bool fail = false;
    bool write(const void* data, std::size_t len) override
    {
        if (fail) return false;
        auto* p = static_cast<const unsigned char*>(data);
        records.emplace_back(p, p + len);
        return true;
    }
};

template <class T>
T as(const std::vector<unsigned char>& rec)
{
    T t;
    EXPECT_GE(rec.size(), sizeof t);
    std::memcpy(&t, rec.data(), sizeof t);
    return t;
}

std::string str_at(const std::vector<unsigned char>& rec, std::size_t off, std::size_t len)
{
    return std::string(reinterpret_cast<const char*>(rec.data()) + off, len);
}

constexpr std::uint64_t kBtime = 1'700'000'000ull * 1'000'000'000ull;
constexpr std::uint64_t kBootToWall = 1'700'000'000ull * 1'000'000'000ull + 123;

ebpf::Clocks clocks()
{
    ebpf::Clocks c;
    c.btime_ns = kBtime;
    c.ticks_per_second = 100;
    c.boottime_to_wall_ns = static_cast<std::int64_t>(kBootToWall);
    return c;
}

// A FORK/EXEC event with path components (leaf first) and raw argv.
std::vector<unsigned char> proc_event(std::uint32_t type, std::uint32_t pid, std::uint64_t start_boottime,
                                      const std::string& path, const std::string& args, std::uint32_t flags = 0)
{
    pt_bpf_proc e{};
    e.h.type = type;
    e.h.time_ns = 5'000'000'000ull;
    e.pid = pid;
    e.tid = pid;
    e.start_boottime = start_boottime;
    e.parent_start_boottime = 1'000'000'000ull;
    e.ppid = 42;
    e.creator_pid = 42;
    e.creator_tid = 43;
    e.uid = 1000;
    e.flags = flags;
    e.path_len = static_cast<std::uint16_t>(path.size());
    e.args_len = static_cast<std::uint16_t>(args.size());
    std::memcpy(e.comm, "worker", 6);
    std::memcpy(e.data, path.data(), path.size());
    std::memcpy(e.data + path.size(), args.data(), args.size());
    std::size_t size = PT_BPF_PROC_FIXED + path.size() + args.size();
    e.h.size = static_cast<std::uint32_t>(size);
    std::vector<unsigned char> bytes(size);
    std::memcpy(bytes.data(), &e, size);
    return bytes;
}

pt_bpf_task task_event(std::uint32_t type, std::uint32_t pid, std::uint32_t tid, std::int32_t status)
{
    pt_bpf_task e{};
    e.h.type = type;
    e.h.size = sizeof e;
    e.h.time_ns = 6'000'000'000ull;
    e.pid = pid;
    e.tid = tid;
    e.start_boottime = 2'345'678'901ull;  // 234 ticks + change
    e.exit_code = status;
    return e;
}

pt_bpf_exit exit_event(std::uint32_t pid, std::uint32_t tid, std::int32_t status, std::uint64_t cpu_ns = 0,
                       std::uint64_t peak_rss_bytes = 0)
{
    pt_bpf_exit e{};
    e.t = task_event(PT_BPF_EV_EXIT, pid, tid, status);
    e.t.h.size = sizeof e;
    e.cpu_ns = cpu_ns;
    e.peak_rss_bytes = peak_rss_bytes;
    return e;
}

struct EbpfTranslator : ::testing::Test {
    MemorySink sink;
    WireWriter out{sink};
    ebpf::Translator tr{out, clocks(),
                        [](std::uint32_t uid) { return uid == 1000 ? std::string("alice") : std::string(); }};
};

}  // namespace

TEST(EbpfClocks, StartTimeTruncatesToTicksLikeProc)
{
    ebpf::Clocks c = clocks();
    // 2.345678901 s after boot = 234 ticks at 100 Hz -> 2.34 s.
    EXPECT_EQ(c.start_ns(2'345'678'901ull), kBtime + 2'340'000'000ull);
    EXPECT_EQ(c.start_ns(9'999'999ull), kBtime);
    c.from_ticks = [](std::uint64_t ticks) { return ticks * 7; };
    EXPECT_EQ(c.start_ns(2'345'678'901ull), 234u * 7u);
    EXPECT_EQ(c.wall_ns(1000), kBootToWall + 1000);
}

TEST(EbpfTranslate, WaitStatusDecoding)
{
    auto normal = ebpf::decode_wait_status(3 << 8);
    EXPECT_EQ(normal.code, 3);
    EXPECT_EQ(normal.signal, 0);
    EXPECT_EQ(normal.flags, 0);
    auto killed = ebpf::decode_wait_status(9);
    EXPECT_EQ(killed.signal, 9);
    EXPECT_EQ(killed.code, 128 + 9);
    EXPECT_EQ(killed.flags, PT_EXIT_SIGNALED);
    auto core = ebpf::decode_wait_status(0x80 | 11);
    EXPECT_EQ(core.signal, 11);
    EXPECT_EQ(core.flags, PT_EXIT_SIGNALED | PT_EXIT_CORE_DUMPED);
    EXPECT_EQ(ebpf::decode_wait_status(255 << 8).code, 255);
}

TEST(EbpfTranslate, PathComponentsAreReversed)
{
    using namespace std::string_literals;
    EXPECT_EQ(ebpf::join_path("true\0bin\0usr\0"s, true), "/usr/bin/true");
    EXPECT_EQ(ebpf::join_path("true\0bin\0"s, false), "bin/true");
    EXPECT_EQ(ebpf::join_path(""s, true), "/");
    EXPECT_EQ(ebpf::join_path(""s, false), "");
    EXPECT_EQ(ebpf::join_path("a b\0dir\0"s, true), "/dir/a b");
    EXPECT_EQ(ebpf::join_path("cut"s, false), "cut");  // last component without its NUL
}

TEST(EbpfTranslate, ArgvJoinedLikeProcCmdline)
{
    using namespace std::string_literals;
    EXPECT_EQ(ebpf::join_argv("sh\0-c\0echo hi\0"s, false), "sh -c echo hi");
    EXPECT_EQ(ebpf::join_argv("a\0\0\0"s, false), "a");      // trailing NULs dropped, as ProcFs does
    EXPECT_EQ(ebpf::join_argv("a\0\0b\0"s, false), "a  b");  // an empty argument stays visible
    EXPECT_EQ(ebpf::join_argv("x \xC3\xA9"s, true), "x \xC3\xA9");
    EXPECT_EQ(ebpf::join_argv("x \xC3"s, true), "x ");  // split UTF-8 sequence dropped
    EXPECT_EQ(ebpf::join_argv("x \xE2\x82"s, true), "x ");
}

TEST_F(EbpfTranslator, ForkBecomesCreateWithKernelCapturedStrings)
{
    using namespace std::string_literals;
    auto ev = proc_event(PT_BPF_EV_FORK, 1234, 2'345'678'901ull, "sh\0bin\0usr\0"s, "sh\0-c\0x\0"s);
    ASSERT_TRUE(tr.handle(ev.data(), ev.size()));
    ASSERT_EQ(sink.records.size(), 1u);
    const auto& rec = sink.records[0];
    auto c = as<pt_process_create>(rec);
    EXPECT_EQ(c.h.type, PT_REC_PROCESS_CREATE);
    EXPECT_EQ(c.h.size % 8, 0u);
    EXPECT_EQ(c.h.time_ns, kBootToWall + 5'000'000'000ull);
    EXPECT_EQ(c.proc.pid, 1234u);
    EXPECT_EQ(c.proc.start_ns, kBtime + 2'340'000'000ull);
    EXPECT_EQ(c.parent.pid, 42u);
    EXPECT_EQ(c.parent.start_ns, kBtime + 1'000'000'000ull);
    EXPECT_EQ(c.creator_pid, 42u);
    EXPECT_EQ(c.creator_tid, 43u);
    EXPECT_EQ(c.uid, 1000u);
    EXPECT_EQ(c.flags, 0u);
    std::size_t off = PT_PROCESS_CREATE_FIXED;
    EXPECT_EQ(str_at(rec, off, c.name_len), "worker");
    off += c.name_len;
    EXPECT_EQ(str_at(rec, off, c.user_len), "alice");
    off += c.user_len;
    EXPECT_EQ(str_at(rec, off, c.image_len), "/usr/bin/sh");
    off += c.image_len;
    EXPECT_EQ(str_at(rec, off, c.cmdline_len), "sh -c x");
}

TEST_F(EbpfTranslator, ExecBecomesExecAndKeepsTruncationFlags)
{
    using namespace std::string_literals;
    auto ev = proc_event(PT_BPF_EV_EXEC, 77, 10'000'000ull, "deep\0"s, "long\0arg"s,
                         PT_BPF_F_PATH_TRUNCATED | PT_BPF_F_ARGS_TRUNCATED);
    ASSERT_TRUE(tr.handle(ev.data(), ev.size()));
    ASSERT_EQ(sink.records.size(), 1u);
    const auto& rec = sink.records[0];
    auto x = as<pt_process_exec>(rec);
    EXPECT_EQ(x.h.type, PT_REC_PROCESS_EXEC);
    EXPECT_EQ(x.proc.pid, 77u);
    EXPECT_EQ(x.proc.start_ns, kBtime + 10'000'000ull);
    EXPECT_EQ(x.flags, PT_PROC_IMAGE_TRUNCATED | PT_PROC_CMDLINE_TRUNCATED);
    std::size_t off = PT_PROCESS_EXEC_FIXED + x.name_len + x.user_len;
    EXPECT_EQ(str_at(rec, off, x.image_len), "deep");
    off += x.image_len;
    EXPECT_EQ(str_at(rec, off, x.cmdline_len), "long arg");
}

TEST_F(EbpfTranslator, KernelThreadHasNoImageOrArgv)
{
    auto ev = proc_event(PT_BPF_EV_FORK, 3, 0, "", "", PT_BPF_F_KTHREAD | PT_BPF_F_NO_PATH | PT_BPF_F_NO_ARGS);
    ASSERT_TRUE(tr.handle(ev.data(), ev.size()));
    auto c = as<pt_process_create>(sink.records.at(0));
    EXPECT_EQ(c.flags, PT_PROC_KERNEL_THREAD);
    EXPECT_EQ(c.image_len, 0u);
    EXPECT_EQ(c.cmdline_len, 0u);
}

TEST_F(EbpfTranslator, ExitsAndThreads)
{
    auto killed = exit_event(500, 501, 15);
    auto normal = exit_event(600, 600, 7 << 8);
    auto thread = task_event(PT_BPF_EV_THREAD, 500, 502, 0);
    auto thread_exit = task_event(PT_BPF_EV_THREAD_EXIT, 500, 502, 2 << 8);
    for (auto* e : {&killed, &normal}) ASSERT_TRUE(tr.handle(e, sizeof *e));
    for (auto* e : {&thread, &thread_exit}) ASSERT_TRUE(tr.handle(e, sizeof *e));
    ASSERT_EQ(sink.records.size(), 4u);
    auto x1 = as<pt_process_exit>(sink.records[0]);
    EXPECT_EQ(x1.h.type, PT_REC_PROCESS_EXIT);
    EXPECT_EQ(x1.proc.pid, 500u);
    EXPECT_EQ(x1.proc.start_ns, kBtime + 2'340'000'000ull);
    EXPECT_EQ(x1.signal, 15);
    EXPECT_EQ(x1.flags, PT_EXIT_SIGNALED | PT_EXIT_CPU_KNOWN | PT_EXIT_RSS_KNOWN);
    auto x2 = as<pt_process_exit>(sink.records[1]);
    EXPECT_EQ(x2.exit_code, 7);
    EXPECT_EQ(x2.flags, PT_EXIT_CPU_KNOWN | PT_EXIT_RSS_KNOWN);
    auto t1 = as<pt_thread>(sink.records[2]);
    EXPECT_EQ(t1.h.type, PT_REC_THREAD_CREATE);
    EXPECT_EQ(t1.proc.pid, 500u);
    EXPECT_EQ(t1.tid, 502u);
    auto t2 = as<pt_thread>(sink.records[3]);
    EXPECT_EQ(t2.h.type, PT_REC_THREAD_EXIT);
    EXPECT_EQ(t2.exit_code, 2);
    // sequence numbers are consecutive
    for (std::size_t i = 0; i < sink.records.size(); ++i) EXPECT_EQ(as<pt_record_header>(sink.records[i]).seq, i);
}

TEST_F(EbpfTranslator, AnExitCarriesTheKernelsCpuTimeAndPeakRss)
{
    auto e = exit_event(700, 700, 0, 312'000'000ull, 52ull << 20);
    ASSERT_TRUE(tr.handle(&e, sizeof e));
    auto x = as<pt_process_exit>(sink.records.at(0));
    EXPECT_EQ(x.h.size, PT_PROCESS_EXIT_FIXED);
    EXPECT_EQ(x.flags, PT_EXIT_CPU_KNOWN | PT_EXIT_RSS_KNOWN);
    EXPECT_EQ(x.cpu_ns, 312'000'000ull);
    EXPECT_EQ(x.peak_rss_bytes, 52ull << 20);
    // An exit event of the thread events' size is not one the program sends.
    auto short_exit = task_event(PT_BPF_EV_EXIT, 701, 701, 0);
    EXPECT_TRUE(tr.handle(&short_exit, sizeof short_exit));
    EXPECT_EQ(tr.malformed(), 1u);
    EXPECT_EQ(sink.records.size(), 1u);
}

TEST_F(EbpfTranslator, RenameBecomesRename)
{
    pt_bpf_rename e{};
    e.h.type = PT_BPF_EV_RENAME;
    e.h.size = sizeof e;
    e.h.time_ns = 7;
    e.pid = 321;
    e.tid = 321;
    e.start_boottime = 20'000'000ull;
    std::memcpy(e.comm, "renamed-task-15", 15);  // 15 chars, no NUL: the kernel's longest
    ASSERT_TRUE(tr.handle(&e, sizeof e));
    const auto& rec = sink.records.at(0);
    auto r = as<pt_process_rename>(rec);
    EXPECT_EQ(r.h.type, PT_REC_PROCESS_RENAME);
    EXPECT_EQ(r.proc.pid, 321u);
    EXPECT_EQ(r.proc.start_ns, kBtime + 20'000'000ull);
    EXPECT_EQ(str_at(rec, PT_PROCESS_RENAME_FIXED, r.name_len), "renamed-task-15");
}

TEST_F(EbpfTranslator, ForkAlreadyInSnapshotIsNotRepeated)
{
    auto ev = proc_event(PT_BPF_EV_FORK, 900, 2'000'000'000ull, "", "");
    tr.begin_snapshot();
    tr.announced(900, kBtime + 2'000'000'000ull);
    ASSERT_TRUE(tr.handle(ev.data(), ev.size()));
    EXPECT_TRUE(sink.records.empty());
    EXPECT_EQ(tr.duplicates(), 1u);
    // A later process that reuses the pid is a different identity.
    auto reuse = proc_event(PT_BPF_EV_FORK, 900, 3'000'000'000ull, "", "");
    ASSERT_TRUE(tr.handle(reuse.data(), reuse.size()));
    EXPECT_EQ(sink.records.size(), 1u);
}

TEST_F(EbpfTranslator, MalformedEventsAreSkippedAndCounted)
{
    using namespace std::string_literals;
    auto ev = proc_event(PT_BPF_EV_FORK, 1, 0, "a\0"s, "b\0"s);
    EXPECT_TRUE(tr.handle(ev.data(), ev.size() - 1));  // size disagrees with header
    auto bad_len = ev;
    pt_bpf_proc p;
    std::memcpy(&p, bad_len.data(), PT_BPF_PROC_FIXED);
    p.args_len = 4000;  // longer than what was sent
    std::memcpy(bad_len.data(), &p, PT_BPF_PROC_FIXED);
    EXPECT_TRUE(tr.handle(bad_len.data(), bad_len.size()));
    auto unknown = task_event(99, 1, 1, 0);
    EXPECT_TRUE(tr.handle(&unknown, sizeof unknown));
    EXPECT_TRUE(tr.handle(ev.data(), 4));
    EXPECT_EQ(tr.malformed(), 4u);
    EXPECT_TRUE(sink.records.empty());
}

TEST_F(EbpfTranslator, SinkFailureStops)
{
    sink.fail = true;
    auto e = exit_event(1, 1, 0);
    EXPECT_FALSE(tr.handle(&e, sizeof e));
}
