// Unit tests for driver/include/proctree/wire_encode.h, the encoder every
// producer (the kernel driver included) shares.
#include <proctree/wire_encode.h>

#include <gtest/gtest.h>

#include <cstring>
#include <string>
#include <string_view>
#include <vector>

namespace {

// Views, not strings: a literal passed here must not become a temporary
// that dies before the encoder reads it.
pt_str str(std::string_view s) { return pt_str{s.data(), static_cast<std::uint32_t>(s.size())}; }

pt_create_args args(std::string_view name, std::string_view cmdline)
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

}  // namespace

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
    cmd = "x" + cmd;                                     // so the cut lands mid-sequence
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

// The trailer after the strings of a record (PT_PROC_FULL_LENGTHS).
pt_full_lengths trailer_of(const std::vector<unsigned char>& buf, const pt_process_create& r)
{
    pt_full_lengths f{};
    std::uint32_t at = PT_ALIGN8(PT_PROCESS_CREATE_FIXED + r.name_len + r.user_len + r.image_len + r.cmdline_len);
    EXPECT_EQ(r.h.size, at + sizeof f);
    std::memcpy(&f, buf.data() + at, sizeof f);
    return f;
}

TEST(WireEncode, ACutStringsWholeLengthFollowsTheStrings)
{
    std::string cmd(100'000, 'a');
    std::vector<unsigned char> buf(PT_MAX_RECORD_SIZE);
    auto a = args("n", cmd);
    std::uint32_t n = pt_encode_process_create(buf.data(), buf.size(), 0, 0, &a);
    ASSERT_EQ(n, pt_size_process_create(&a));
    pt_process_create r;
    std::memcpy(&r, buf.data(), sizeof r);
    EXPECT_EQ(r.flags & (PT_PROC_CMDLINE_TRUNCATED | PT_PROC_FULL_LENGTHS),
              PT_PROC_CMDLINE_TRUNCATED | PT_PROC_FULL_LENGTHS);
    EXPECT_EQ(r.cmdline_len, PT_MAX_STRING);
    pt_full_lengths f = trailer_of(buf, r);
    EXPECT_EQ(f.cmdline, 100'000u);
    EXPECT_EQ(f.name, 0u);
    EXPECT_EQ(f.image, 0u);
}

TEST(WireEncode, AProducersBoundedReadSaysTheWholeLength)
{
    // eBPF and /proc reads keep a prefix and know the whole length.
    std::string kept(PT_MAX_STRING, 'b');
    std::vector<unsigned char> buf(PT_MAX_RECORD_SIZE);
    auto a = args("n", kept);
    a.full.cmdline = 100'007;
    ASSERT_NE(pt_encode_process_create(buf.data(), buf.size(), 0, 0, &a), 0u);
    pt_process_create r;
    std::memcpy(&r, buf.data(), sizeof r);
    EXPECT_TRUE(r.flags & PT_PROC_CMDLINE_TRUNCATED);
    EXPECT_EQ(trailer_of(buf, r).cmdline, 100'007u);
}

TEST(WireEncode, WholeStringsCarryNoTrailer)
{
    std::vector<unsigned char> buf(256);
    std::string cmd = "bash -l";
    auto a = args("bash", cmd);
    a.full.cmdline = 7;              // said, but not longer than what is sent
    a.flags = PT_PROC_FULL_LENGTHS;  // a stale flag is not trusted
    std::uint32_t n = pt_encode_process_create(buf.data(), buf.size(), 0, 0, &a);
    EXPECT_EQ(n, PT_ALIGN8(PT_PROCESS_CREATE_FIXED + 4 + 7));
    pt_process_create r;
    std::memcpy(&r, buf.data(), sizeof r);
    EXPECT_EQ(r.flags & (PT_PROC_FULL_LENGTHS | PT_PROC_CMDLINE_TRUNCATED), 0u);
}

TEST(WireEncode, AnExecCarriesTheTrailerToo)
{
    std::string cmd(5000, 'c');
    std::vector<unsigned char> buf(PT_MAX_RECORD_SIZE);
    pt_exec_args a{};
    a.proc = pt_ident{42, 0, 1000};
    a.cmdline = str(cmd);
    std::uint32_t n = pt_encode_process_exec(buf.data(), buf.size(), 0, 0, &a);
    pt_process_exec r;
    std::memcpy(&r, buf.data(), sizeof r);
    EXPECT_TRUE(r.flags & PT_PROC_FULL_LENGTHS);
    std::uint32_t at = PT_ALIGN8(PT_PROCESS_EXEC_FIXED + r.cmdline_len);
    ASSERT_EQ(n, at + sizeof(pt_full_lengths));
    pt_full_lengths f;
    std::memcpy(&f, buf.data() + at, sizeof f);
    EXPECT_EQ(f.cmdline, 5000u);
}

TEST(WireEncode, FourMaximalStringsStillFitOneRecord)
{
    std::string big(PT_MAX_STRING * 2, 'a');  // cut, so with a trailer
    pt_create_args a = args(big, big);
    a.user = str(big);
    a.image = str(big);
    EXPECT_LE(pt_size_process_create(&a), PT_MAX_RECORD_SIZE);
}

TEST(WireEncode, StreamHeaderIsPaddedToEight)
{
    std::vector<unsigned char> buf(128, 0xAA);
    std::uint32_t n =
        pt_encode_stream_header(buf.data(), buf.size(), PT_OS_WINDOWS, PT_SOURCE_WINDOWS_DRIVER, 5, 6, str("WIN-01"));
    EXPECT_EQ(n, 48u);
    pt_stream_header h;
    std::memcpy(&h, buf.data(), sizeof h);
    EXPECT_EQ(std::memcmp(h.magic, "PROCTREE", 8), 0);
    EXPECT_EQ(h.header_size, 48);
    EXPECT_EQ(h.host_len, 6);
    EXPECT_EQ(buf[46], 0);
    EXPECT_EQ(buf[47], 0);
}

TEST(WireEncode, ImageFactsLayoutAndHashOnlyWhenHashed)
{
    std::vector<std::uint8_t> buf(PT_MAX_RECORD_SIZE, 0xCC);
    std::uint8_t sha[32];
    for (int i = 0; i < 32; ++i) sha[i] = static_cast<std::uint8_t>(i + 1);
    std::string path = "/usr/bin/x";
    pt_facts_args a{};
    a.proc = pt_ident{42, 7, 1000};
    a.event_seq = 5;
    a.file_size = 4096;
    a.sha256 = sha;
    a.status = PT_FACTS_HASHED;
    a.path = str(path);
    std::uint32_t n = pt_encode_image_facts(buf.data(), static_cast<std::uint32_t>(buf.size()), 9, 77, &a);
    ASSERT_EQ(n, PT_ALIGN8(PT_IMAGE_FACTS_FIXED + path.size()));
    pt_image_facts r;
    std::memcpy(&r, buf.data(), sizeof r);
    EXPECT_EQ(r.h.type, PT_REC_IMAGE_FACTS);
    EXPECT_EQ(r.h.size, n);
    EXPECT_EQ(r.h.seq, 9u);
    EXPECT_EQ(r.proc.reserved, 0u);
    EXPECT_EQ(r.event_seq, 5u);
    EXPECT_EQ(r.file_size, 4096u);
    EXPECT_EQ(std::memcmp(r.sha256, sha, 32), 0);
    EXPECT_EQ(r.path_len, path.size());
    EXPECT_EQ(std::string(reinterpret_cast<char*>(buf.data()) + PT_IMAGE_FACTS_FIXED, path.size()), path);
    for (std::uint32_t i = PT_IMAGE_FACTS_FIXED + path.size(); i < n; ++i) EXPECT_EQ(buf[i], 0) << i;

    a.status = PT_FACTS_UNREADABLE;  // a hash or size beside an error would be a lie
    a.error = 13;
    ASSERT_NE(pt_encode_image_facts(buf.data(), static_cast<std::uint32_t>(buf.size()), 10, 78, &a), 0u);
    std::memcpy(&r, buf.data(), sizeof r);
    EXPECT_EQ(r.file_size, 0u);
    EXPECT_EQ(r.sha256[0], 0);
    EXPECT_EQ(r.error, 13u);
    EXPECT_EQ(pt_encode_image_facts(buf.data(), PT_IMAGE_FACTS_FIXED, 0, 0, &a), 0u);

    std::string long_path(PT_MAX_STRING + 100, 'p');
    a.path = str(long_path);
    n = pt_encode_image_facts(buf.data(), static_cast<std::uint32_t>(buf.size()), 11, 79, &a);
    std::memcpy(&r, buf.data(), sizeof r);
    EXPECT_EQ(r.path_len, PT_MAX_STRING);
    EXPECT_EQ(r.flags, PT_PROC_IMAGE_TRUNCATED);
}
