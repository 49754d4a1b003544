// Unit tests of PtBuildRecord (driver/windows/sys/record.c), the one function the
// kernel callbacks and the test-only injection IOCTL share, compiled natively
// through tests/windows/shim: fields, names derived from image paths, UTF-16 ->
// UTF-8, truncation at PT_MAX_STRING without splitting characters, absent
// strings, bad types, and allocation failure without leaks.
#include <gtest/gtest.h>

#include <cstring>
#include <string>
#include <vector>

extern "C" {
#include "record.h"
}

namespace {

struct U16 {
    explicit U16(std::u16string s) : text(std::move(s))
    {
        us.Buffer = reinterpret_cast<PWCH>(text.data());
        us.Length = us.MaximumLength = (USHORT)(text.size() * 2);
    }
    std::u16string text;
    UNICODE_STRING us{};
};

struct Built {
    NTSTATUS status;
    std::vector<uint8_t> bytes;
};

Built build(const PT_FACTS &f, ULONG64 now = 1234)
{
    PVOID rec = nullptr;
    Built b{PtBuildRecord(&f, now, &rec), {}};
    if (NT_SUCCESS(b.status)) {
        auto *h = static_cast<pt_record_header *>(rec);
        b.bytes.assign(static_cast<uint8_t *>(rec), static_cast<uint8_t *>(rec) + h->size);
        PtFreeRecord(rec);
    } else {
        EXPECT_EQ(rec, nullptr);
    }
    return b;
}

std::string field(const std::vector<uint8_t> &b, uint32_t off, uint32_t len)
{
    return std::string(reinterpret_cast<const char *>(b.data()) + off, len);
}

PT_FACTS createFacts(const UNICODE_STRING *image, const UNICODE_STRING *cmd)
{
    PT_FACTS f{};
    f.Type = PT_REC_PROCESS_CREATE;
    f.Pid = 4242;
    f.ParentPid = 100;
    f.CreatorPid = 200;
    f.CreatorTid = 204;
    f.StartNs = 5000;
    f.ParentStartNs = 4000;
    f.ImagePath = image;
    f.CommandLine = cmd;
    return f;
}

class RecordTest : public ::testing::Test {
protected:
    void SetUp() override { pt_shim_fail_after = -1; }
    void TearDown() override
    {
        pt_shim_fail_after = -1;
        EXPECT_EQ(pt_shim_live_allocations, 0) << "PtBuildRecord leaked";
    }
};

}  // namespace

TEST_F(RecordTest, CreateCarriesEveryFact)
{
    U16 image(u"\\Device\\HarddiskVolume3\\Windows\\System32\\cmd.exe");
    U16 cmd(u"cmd.exe /c dir");
    auto b = build(createFacts(&image.us, &cmd.us), 777);
    ASSERT_EQ(b.status, STATUS_SUCCESS);
    auto *c = reinterpret_cast<const pt_process_create *>(b.bytes.data());
    EXPECT_EQ(c->h.type, PT_REC_PROCESS_CREATE);
    EXPECT_EQ(c->h.time_ns, 777u);
    EXPECT_EQ(c->proc.pid, 4242u);
    EXPECT_EQ(c->proc.start_ns, 5000u);
    EXPECT_EQ(c->parent.pid, 100u);
    EXPECT_EQ(c->parent.start_ns, 4000u);
    EXPECT_EQ(c->creator_pid, 200u);
    EXPECT_EQ(c->creator_tid, 204u);
    EXPECT_EQ(c->uid, PT_UID_UNKNOWN);
    EXPECT_EQ(c->threads, 1u);
    EXPECT_EQ(c->flags, 0u);
    EXPECT_EQ(field(b.bytes, 88, c->name_len), "cmd.exe");
    EXPECT_EQ(c->user_len, 0u);
    EXPECT_EQ(field(b.bytes, 88 + c->name_len, c->image_len), "\\Device\\HarddiskVolume3\\Windows\\System32\\cmd.exe");
    EXPECT_EQ(field(b.bytes, 88 + c->name_len + c->image_len, c->cmdline_len), "cmd.exe /c dir");
    uint32_t used = 88 + c->name_len + c->image_len + c->cmdline_len;
    EXPECT_EQ(c->h.size, PT_ALIGN8(used));
    for (uint32_t i = used; i < c->h.size; i++) EXPECT_EQ(b.bytes[i], 0) << "padding must be zero";
}

TEST_F(RecordTest, ConvertsUtf16ToUtf8)
{
    U16 image(u"C:\\Temp\\Gr\u00fc\u00dfe\\\u65e5\u672c.exe");
    U16 cmd(u"run \U0001F600 \xD800!");  // a surrogate pair, then a lone high surrogate
    auto b = build(createFacts(&image.us, &cmd.us));
    ASSERT_EQ(b.status, STATUS_SUCCESS);
    auto *c = reinterpret_cast<const pt_process_create *>(b.bytes.data());
    EXPECT_EQ(field(b.bytes, 88, c->name_len), "\xE6\x97\xA5\xE6\x9C\xAC.exe");
    EXPECT_EQ(field(b.bytes, 88 + c->name_len, c->image_len), "C:\\Temp\\Gr\xC3\xBC\xC3\x9F"
                                                              "e\\\xE6\x97\xA5\xE6\x9C\xAC.exe");
    EXPECT_EQ(field(b.bytes, 88 + c->name_len + c->image_len, c->cmdline_len), "run \xF0\x9F\x98\x80 \xEF\xBF\xBD!");
}

TEST_F(RecordTest, AbsentStringsAndNameUnknown)
{
    auto b = build(createFacts(nullptr, nullptr));
    ASSERT_EQ(b.status, STATUS_SUCCESS);
    auto *c = reinterpret_cast<const pt_process_create *>(b.bytes.data());
    EXPECT_EQ(c->name_len + c->image_len + c->cmdline_len, 0u);
    EXPECT_TRUE(c->flags & PT_PROC_NAME_UNKNOWN);
    EXPECT_EQ(c->h.size, PT_PROCESS_CREATE_FIXED);
    U16 empty(u"");
    b = build(createFacts(&empty.us, &empty.us));
    ASSERT_EQ(b.status, STATUS_SUCCESS);
}

TEST_F(RecordTest, LongStringsAreCutAndFlagged)
{
    // 20000 units, a surrogate pair straddling the 12288-unit cut
    std::u16string longCmd(PT_MAX_STRING - 1, u'x');
    longCmd += u"\U0001F600";
    longCmd += std::u16string(20000 - longCmd.size(), u'y');
    U16 cmd(longCmd);
    std::u16string longImage = u"C:\\" + std::u16string(30000, u'\u00e9') + u"\\a.exe";
    U16 image(longImage);
    auto b = build(createFacts(&image.us, &cmd.us));
    ASSERT_EQ(b.status, STATUS_SUCCESS);
    auto *c = reinterpret_cast<const pt_process_create *>(b.bytes.data());
    EXPECT_TRUE(c->flags & PT_PROC_CMDLINE_TRUNCATED);
    EXPECT_TRUE(c->flags & PT_PROC_IMAGE_TRUNCATED);
    EXPECT_LE(c->cmdline_len, PT_MAX_STRING);
    EXPECT_LE(c->image_len, PT_MAX_STRING);
    EXPECT_LE(c->h.size, PT_MAX_RECORD_SIZE);
    std::string got = field(b.bytes, 88 + c->name_len + c->image_len, c->cmdline_len);
    EXPECT_EQ(got, std::string(PT_MAX_STRING - 1, 'x'));  // the pair did not fit whole: not split
    std::string img = field(b.bytes, 88 + c->name_len, c->image_len);
    EXPECT_EQ(img.size() % 2, 1u);  // "C:\" + whole 2-byte characters only
}

TEST_F(RecordTest, ExitThreadAndImage)
{
    PT_FACTS f{};
    f.Type = PT_REC_PROCESS_EXIT;
    f.Pid = 9;
    f.StartNs = 99;
    f.ExitCode = (LONG)0xC0000005;
    auto b = build(f);
    ASSERT_EQ(b.status, STATUS_SUCCESS);
    auto *x = reinterpret_cast<const pt_process_exit *>(b.bytes.data());
    EXPECT_EQ(x->h.size, PT_PROCESS_EXIT_FIXED);
    EXPECT_EQ(x->flags & (PT_EXIT_CPU_KNOWN | PT_EXIT_RSS_KNOWN), 0);  // the driver does not collect usage
    EXPECT_EQ(x->proc.pid, 9u);
    EXPECT_EQ(x->proc.start_ns, 99u);
    EXPECT_EQ(x->exit_code, (int32_t)0xC0000005);

    f = PT_FACTS{};
    f.Type = PT_REC_THREAD_EXIT;
    f.Pid = 9;
    f.Tid = 12;
    f.ExitCode = 3;
    b = build(f);
    ASSERT_EQ(b.status, STATUS_SUCCESS);
    auto *t = reinterpret_cast<const pt_thread *>(b.bytes.data());
    EXPECT_EQ(t->h.type, PT_REC_THREAD_EXIT);
    EXPECT_EQ(t->tid, 12u);
    EXPECT_EQ(t->exit_code, 3);
    f.Type = PT_REC_THREAD_CREATE;
    b = build(f);
    EXPECT_EQ(reinterpret_cast<const pt_thread *>(b.bytes.data())->exit_code, 0);

    U16 path(u"\\SystemRoot\\System32\\ntdll.dll");
    f = PT_FACTS{};
    f.Type = PT_REC_IMAGE_LOAD;
    f.Pid = 9;
    f.ImageBase = 0x7ff800000000ull;
    f.ImageSize = 0x1f0000;
    f.ImagePath = &path.us;
    b = build(f);
    ASSERT_EQ(b.status, STATUS_SUCCESS);
    auto *im = reinterpret_cast<const pt_image_load *>(b.bytes.data());
    EXPECT_EQ(im->base, 0x7ff800000000ull);
    EXPECT_EQ(im->size, 0x1f0000u);
    EXPECT_EQ(field(b.bytes, PT_IMAGE_LOAD_FIXED, im->path_len), "\\SystemRoot\\System32\\ntdll.dll");
}

TEST_F(RecordTest, RejectsUnknownTypes)
{
    PT_FACTS f{};
    f.Type = PT_REC_SNAPSHOT_BEGIN;  // not something a callback reports
    EXPECT_EQ(build(f).status, STATUS_INVALID_PARAMETER);
    f.Type = 999;
    EXPECT_EQ(build(f).status, STATUS_INVALID_PARAMETER);
}

TEST_F(RecordTest, AllocationFailureLeaksNothing)
{
    U16 image(u"C:\\a.exe");
    for (long n = 0; n < 2; n++) {
        pt_shim_fail_after = n;  // fail the first, then the second allocation
        EXPECT_EQ(build(createFacts(&image.us, nullptr)).status, STATUS_INSUFFICIENT_RESOURCES);
        EXPECT_EQ(pt_shim_live_allocations, 0);
    }
}
