// Unit tests for driver/include/proctree/wire_encode.h, the encoder every
// producer (the kernel driver included) shares.
#include <proctree/wire_encode.h>

#include <gtest/gtest.h>

#include <cstring>
#include <string>
#include <vector>

namespace {

pt_str str(const std::string& s) { return pt_str{s.data(), static_cast<std::uint32_t>(s.size())}; }

pt_create_args args(const std::string& name, const std::string& cmdline)
{
    pt_create_args a{};
    a.proc = pt_ident{42, 0, 1000};
    a.parent = pt_ident{1, 0, 10};
    a.uid = PT_UID_UNKNOWN;
    a.threads = 1;
    a.name = str(name);
    a.cmdline = str(cmdline);
    return a;
}

} // namespace

TEST(WireEncode, CreateRecordLayoutSizeAndZeroPadding)
{
    std::vector<unsigned char> buf(256, 0xAA);
    std::string name = "bash", cmd = "bash -l";
    auto a = args(name, cmd);
    std::uint32_t n = pt_encode_process_create(buf.data(), buf.size(), 7, 123, &a);
    EXPECT_EQ(n, PT_ALIGN8(PT_PROCESS_CREATE_FIXED + 4 + 7));
    EXPECT_EQ(n, pt_size_process_create(&a));
    pt_process_create r;
    std::memcpy(&r, buf.data(), sizeof r);
    EXPECT_EQ(r.h.type, PT_REC_PROCESS_CREATE);
    EXPECT_EQ(r.h.size, n);
    EXPECT_EQ(r.h.seq, 7u);
    EXPECT_EQ(r.h.time_ns, 123u);
    EXPECT_EQ(r.proc.pid, 42u);
    EXPECT_EQ(r.proc.start_ns, 1000u);
    EXPECT_EQ(r.name_len, 4);
    EXPECT_EQ(r.cmdline_len, 7u);
    EXPECT_EQ(std::string(reinterpret_cast<char*>(buf.data()) + PT_PROCESS_CREATE_FIXED, 11), "bashbash -l");
    for (std::uint32_t i = PT_PROCESS_CREATE_FIXED + 11; i < n; ++i) EXPECT_EQ(buf[i], 0) << i;
    EXPECT_EQ(buf[n], 0xAA);  // nothing written past the record
}

TEST(WireEncode, ReturnsZeroWhenTheBufferIsTooSmall)
{
    std::vector<unsigned char> buf(64, 0xAA);
    auto a = args("bash", "bash -l");
    EXPECT_EQ(pt_encode_process_create(buf.data(), buf.size(), 0, 0, &a), 0u);
    EXPECT_EQ(buf[0], 0xAA);
    EXPECT_EQ(pt_encode_process_exit(buf.data(), 40, 0, 0, a.proc, 0, 0, 0), 0u);
    EXPECT_EQ(pt_encode_stream_header(buf.data(), 40, PT_OS_LINUX, PT_SOURCE_POLL, 0, 0, str("h")), 0u);
}

TEST(WireEncode, LongStringsAreCutAtAUtf8BoundaryAndFlagged)
{
    std::string cmd;
    while (cmd.size() < PT_MAX_STRING + 10) cmd += "é";  // 2-byte sequences
    cmd = "x" + cmd;                                    // so the cut lands mid-sequence
    std::vector<unsigned char> buf(PT_MAX_RECORD_SIZE);
    auto a = args("n", cmd);
    std::uint32_t n = pt_encode_process_create(buf.data(), buf.size(), 0, 0, &a);
    ASSERT_NE(n, 0u);
    pt_process_create r;
    std::memcpy(&r, buf.data(), sizeof r);
    EXPECT_TRUE(r.flags & PT_PROC_CMDLINE_TRUNCATED);
    EXPECT_LE(r.cmdline_len, PT_MAX_STRING);
    EXPECT_EQ(r.cmdline_len % 2, 1u);  // "x" + whole "é"s: never half a character
    EXPECT_LE(n, PT_MAX_RECORD_SIZE);
}

TEST(WireEncode, FourMaximalStringsStillFitOneRecord)
{
    std::string big(PT_MAX_STRING * 2, 'a');
    pt_create_args a = args(big, big);
    a.user = str(big);
    a.image = str(big);
    EXPECT_LE(pt_size_process_create(&a), PT_MAX_RECORD_SIZE);
}

TEST(WireEncode, StreamHeaderIsPaddedToEight)
{
    std::vector<unsigned char> buf(128, 0xAA);
    std::uint32_t n = pt_encode_stream_header(buf.data(), buf.size(), PT_OS_WINDOWS, PT_SOURCE_WINDOWS_DRIVER, 5, 6,
                                              str("WIN-01"));
    EXPECT_EQ(n, 48u);
    pt_stream_header h;
    std::memcpy(&h, buf.data(), sizeof h);
    EXPECT_EQ(std::memcmp(h.magic, "PROCTREE", 8), 0);
    EXPECT_EQ(h.header_size, 48);
    EXPECT_EQ(h.host_len, 6);
    EXPECT_EQ(buf[46], 0);
    EXPECT_EQ(buf[47], 0);
}
