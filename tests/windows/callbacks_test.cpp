// Unit tests of the driver's kernel notify routines (driver/windows/sys/callbacks.c),
// compiled natively through tests/windows/shim: synthetic kernel inputs go through
// PtProcessNotify, PtThreadNotify and PtImageNotify, the very path Windows calls,
// into each reader's bounded queue (reader.c, queue.c) as wire records (record.c);
// the records read back are decoded by the model's decoder. Kernel callbacks never
// fire under Wine, so this is where the code that gathers the kernel's facts runs.
#include <proctree/model/decoder.hpp>
#include <proctree/wire_encode.h>

#include <gtest/gtest.h>

#include <cstring>
#include <string>
#include <vector>

extern "C" {
#include "proctree.h"

PT_GLOBALS PtGlobals;

ULONG64 PtNowNs(void) { return 1'800'000'000'000'000'000ull; }
}

#include "reader_fixture.hpp"

namespace {

namespace model = proctree::model;

// FILETIME of 2026-01-01 and the ns since the Unix epoch it stands for.
constexpr LONG64 kCreateTime = 134114112000000000ll;
constexpr ULONG64 kCreateNs = (134114112000000000ull - PT_FILETIME_UNIX_OFFSET) * 100ull;

// A UTF-16 string as the kernel passes it (Length in bytes).
struct KString {
    explicit KString(const std::u16string& s) : text(s)
    {
        us.Length = static_cast<USHORT>(text.size() * 2);
        us.MaximumLength = us.Length;
        us.Buffer = reinterpret_cast<PWCH>(text.data());
    }
    std::u16string text;
    UNICODE_STRING us{};
};

struct Decoded {
    std::vector<model::Record> records;
    std::vector<std::string> strings;  // name|image|cmdline of creates, path of image loads
};

class CallbacksTest : public ::testing::Test {
protected:
    void SetUp() override
    {
        pt_shim_fail_after = -1;
        pt_shim_locks_held = 0;
        pt_shim_remove_processes();
        std::memset(&PtGlobals, 0, sizeof PtGlobals);
        KeInitializeSpinLock(&PtGlobals.ReadersLock);
        InitializeListHead(&PtGlobals.Readers);
    }

    void TearDown() override
    {
        for (PPT_READER r : readers_) {
            RemoveEntryList(&r->Link);
            PtReaderRelease(r);
        }
        EXPECT_EQ(pt_shim_references(), 0) << "a process looked up was not dereferenced";
        EXPECT_EQ(pt_shim_locks_held, 0);
        EXPECT_EQ(pt_shim_live_allocations, 0) << "leaked";
    }

    // As PtDispatchCreate and IOCTL_PT_SET_EVENT_MASK: an attached reader.
    PPT_READER addReader(LONG mask, ULONG capBytes = 64 * 1024)
    {
        PPT_READER r = pt_test_add_reader(mask, capBytes);
        readers_.push_back(r);
        return r;
    }

    // Everything queued for r, decoded (behind a stream header, as the agent writes it).
    static Decoded drain(PPT_READER r)
    {
        std::vector<uint8_t> buf(PT_READ_CHUNK_MAX);
        std::string stream(64, '\0');
        pt_encode_stream_header(stream.data(), 64, PT_OS_WINDOWS, PT_SOURCE_WINDOWS_DRIVER, 1, 0, pt_str{"w", 1});
        stream.resize(PT_STREAM_HEADER_FIXED + 8);
        for (;;) {
            ULONG got = PtReaderPop(r, buf.data(), (ULONG)buf.size(), PtNowNs());
            if (got == 0) break;
            stream.append(reinterpret_cast<const char*>(buf.data()), got);
        }
        struct Collect : model::RecordHandler {
            Decoded d;
            void on_record(const model::Record& rec) override
            {
                d.records.push_back(rec);
                if (auto* c = std::get_if<model::ProcessCreate>(&rec.body))
                    d.strings.push_back(std::string(c->name) + "|" + std::string(c->image) + "|" +
                                        std::string(c->cmdline));
                else if (auto* i = std::get_if<model::ImageLoad>(&rec.body)) d.strings.push_back(std::string(i->path));
                else d.strings.emplace_back();
            }
        } collect;
        model::StreamDecoder decoder;
        EXPECT_TRUE(decoder.feed(stream, collect));
        EXPECT_TRUE(decoder.finish()) << decoder.error()->describe();
        return collect.d;
    }

    static PS_CREATE_NOTIFY_INFO createInfo(ULONG parent, PCUNICODE_STRING image, PCUNICODE_STRING cmd)
    {
        PS_CREATE_NOTIFY_INFO info{};
        info.Size = sizeof info;
        info.ParentProcessId = (HANDLE)(ULONG_PTR)parent;
        info.CreatingThreadId.UniqueProcess = (HANDLE)(ULONG_PTR)(parent + 1);  // Windows: may differ from the parent
        info.CreatingThreadId.UniqueThread = (HANDLE)(ULONG_PTR)7777;
        info.ImageFileName = image;
        info.CommandLine = cmd;
        info.CreationStatus = STATUS_SUCCESS;
        return info;
    }

    std::vector<PPT_READER> readers_;
};

}  // namespace

TEST_F(CallbacksTest, ACreationWithAnImageAndACommandLineIsOneCreateRecord)
{
    PPT_READER r = addReader(PT_MASK_PROCESS);
    pt_shim_add_process(500, kCreateTime - 10'000'000);  // the parent, alive: its start time is looked up
    PEPROCESS child = pt_shim_add_process(600, kCreateTime);
    KString image(u"\\??\\C:\\Windows\\System32\\cmd.exe");
    KString cmd(u"cmd.exe /c echo h\u00e9llo");
    PS_CREATE_NOTIFY_INFO info = createInfo(500, &image.us, &cmd.us);
    PtProcessNotify(child, (HANDLE)(ULONG_PTR)600, &info);
    EXPECT_EQ(info.CreationStatus, STATUS_SUCCESS) << "an observer must never deny a creation";

    Decoded d = drain(r);
    ASSERT_EQ(d.records.size(), 1u);
    const auto& c = std::get<model::ProcessCreate>(d.records[0].body);
    EXPECT_EQ(c.proc, (model::Identity{600, kCreateNs}));
    EXPECT_EQ(c.parent, (model::Identity{500, kCreateNs - 1'000'000'000ull}));
    EXPECT_EQ(c.creator_pid, 501u);
    EXPECT_EQ(c.creator_tid, 7777u);
    EXPECT_EQ(c.uid, PT_UID_UNKNOWN);
    EXPECT_EQ(c.flags, 0u);
    EXPECT_EQ(d.strings[0], "cmd.exe|\\??\\C:\\Windows\\System32\\cmd.exe|cmd.exe /c echo h\xc3\xa9llo");
}

TEST_F(CallbacksTest, ACreationWithoutANameOrCommandLineSaysTheNameIsUnknown)
{
    PPT_READER r = addReader(PT_MASK_PROCESS);
    PEPROCESS child = pt_shim_add_process(610, kCreateTime);
    PS_CREATE_NOTIFY_INFO info = createInfo(4, nullptr, nullptr);  // parent 4 not in the table: start unknown
    PtProcessNotify(child, (HANDLE)(ULONG_PTR)610, &info);

    Decoded d = drain(r);
    ASSERT_EQ(d.records.size(), 1u);
    const auto& c = std::get<model::ProcessCreate>(d.records[0].body);
    EXPECT_EQ(c.parent, (model::Identity{4, 0}));
    EXPECT_EQ(c.flags, PT_PROC_NAME_UNKNOWN);
    EXPECT_EQ(d.strings[0], "||");
}

TEST_F(CallbacksTest, ACreationAnotherDriverDeniedIsNotReported)
{
    PPT_READER r = addReader(PT_MASK_PROCESS);
    PEPROCESS child = pt_shim_add_process(620, kCreateTime);
    KString image(u"C:\\malware.exe");
    PS_CREATE_NOTIFY_INFO info = createInfo(500, &image.us, nullptr);
    info.CreationStatus = STATUS_ACCESS_DENIED;
    PtProcessNotify(child, (HANDLE)(ULONG_PTR)620, &info);
    EXPECT_EQ(info.CreationStatus, STATUS_ACCESS_DENIED);
    EXPECT_TRUE(drain(r).records.empty()) << "a process that will never run was reported";
}

TEST_F(CallbacksTest, AnExitCarriesItsStatusAndStartTime)
{
    PPT_READER r = addReader(PT_MASK_PROCESS);
    PEPROCESS p = pt_shim_add_process(630, kCreateTime);
    p->ExitStatus = (NTSTATUS)0xC0000005;
    PtProcessNotify(p, (HANDLE)(ULONG_PTR)630, nullptr);

    Decoded d = drain(r);
    ASSERT_EQ(d.records.size(), 1u);
    const auto& e = std::get<model::ProcessExit>(d.records[0].body);
    EXPECT_EQ(e.proc, (model::Identity{630, kCreateNs}));
    EXPECT_EQ(static_cast<std::uint32_t>(e.code), 0xC0000005u);
    EXPECT_EQ(e.flags, 0u);
}

TEST_F(CallbacksTest, ThreadsAreGatheredOnlyWhenAReaderAsksAndAnUnseenProcessHasNoStartTime)
{
    PPT_READER processOnly = addReader(PT_MASK_PROCESS);
    PtThreadNotify((HANDLE)(ULONG_PTR)640, (HANDLE)(ULONG_PTR)641, TRUE);
    EXPECT_TRUE(drain(processOnly).records.empty()) << "nobody asked for threads";

    PPT_READER threads = addReader(PT_MASK_ALL);
    pt_shim_add_process(650, kCreateTime);
    PtThreadNotify((HANDLE)(ULONG_PTR)650, (HANDLE)(ULONG_PTR)651, TRUE);
    PtThreadNotify((HANDLE)(ULONG_PTR)640, (HANDLE)(ULONG_PTR)641, FALSE);  // a process never seen
    Decoded d = drain(threads);
    ASSERT_EQ(d.records.size(), 2u);
    const auto& t0 = std::get<model::ThreadEvent>(d.records[0].body);
    EXPECT_TRUE(t0.created);
    EXPECT_EQ(t0.proc, (model::Identity{650, kCreateNs}));
    EXPECT_EQ(t0.tid, 651u);
    const auto& t1 = std::get<model::ThreadEvent>(d.records[1].body);
    EXPECT_FALSE(t1.created);
    EXPECT_EQ(t1.proc, (model::Identity{640, 0}));
    // Each reader's own queue: the process-only reader got neither.
    EXPECT_TRUE(drain(processOnly).records.empty());
}

TEST_F(CallbacksTest, ImageLoadsWithAndWithoutAFullNameAndKernelImages)
{
    PPT_READER r = addReader(PT_MASK_ALL);
    pt_shim_add_process(660, kCreateTime);
    KString dll(u"\\Device\\HarddiskVolume3\\Windows\\System32\\ntdll.dll");
    IMAGE_INFO user{};
    user.ImageBase = (PVOID)(ULONG_PTR)0x7FFA00000000ull;
    user.ImageSize = 0x1F0000;
    PtImageNotify(&dll.us, (HANDLE)(ULONG_PTR)660, &user);
    PtImageNotify(nullptr, (HANDLE)(ULONG_PTR)660, &user);  // no full name
    IMAGE_INFO kernel{};
    kernel.SystemModeImage = 1;
    kernel.ImageBase = (PVOID)(ULONG_PTR)0xFFFFF80000000000ull;
    kernel.ImageSize = 0x10000;
    KString sys(u"\\SystemRoot\\System32\\drivers\\x.sys");
    PtImageNotify(&sys.us, (HANDLE)(ULONG_PTR)0, &kernel);

    Decoded d = drain(r);
    ASSERT_EQ(d.records.size(), 3u);
    const auto& a = std::get<model::ImageLoad>(d.records[0].body);
    EXPECT_EQ(a.proc, (model::Identity{660, kCreateNs}));
    EXPECT_EQ(a.base, 0x7FFA00000000ull);
    EXPECT_EQ(a.size, 0x1F0000u);
    EXPECT_EQ(d.strings[0], "\\Device\\HarddiskVolume3\\Windows\\System32\\ntdll.dll");
    EXPECT_EQ(d.strings[1], "");
    const auto& k = std::get<model::ImageLoad>(d.records[2].body);
    EXPECT_EQ(k.proc, (model::Identity{0, 0}));  // kernel images belong to no process
    EXPECT_EQ(k.base, 0xFFFFF80000000000ull);
}

TEST_F(CallbacksTest, AFullQueueCountsDropsAndSaysSoInItsPlace)
{
    PPT_READER small = addReader(PT_MASK_PROCESS, 512);
    PPT_READER large = addReader(PT_MASK_PROCESS);
    PEPROCESS p = pt_shim_add_process(670, kCreateTime);
    for (int i = 0; i < 40; ++i) PtProcessNotify(p, (HANDLE)(ULONG_PTR)670, nullptr);

    Decoded full = drain(large);
    EXPECT_EQ(full.records.size(), 40u);
    Decoded cut = drain(small);
    ASSERT_FALSE(cut.records.empty());
    std::uint64_t exits = 0, lost = 0;
    for (const auto& rec : cut.records) {
        if (std::holds_alternative<model::ProcessExit>(rec.body)) ++exits;
        if (auto* l = std::get_if<model::EventsLost>(&rec.body)) {
            lost += l->count;
            EXPECT_EQ(l->reason, PT_LOST_QUEUE_FULL);
        }
    }
    EXPECT_LT(exits, 40u);
    EXPECT_EQ(exits + lost, 40u) << "every event is either delivered or counted as lost";
    EXPECT_EQ(small->Queue.DroppedTotal, lost);
}
