// Unit tests for driver/linux/src/image_file_reader.cpp on real files: the
// digest equals sha256sum's, the identity follows the file's version, and
// what cannot be read says why (and never blocks: a FIFO).
#include <proctree/linux/image_file_reader.hpp>

#include <gtest/gtest.h>

#include <cerrno>
#include <cstdio>
#include <fstream>
#include <string>
#include <sys/stat.h>
#include <unistd.h>

using namespace proctree::collect;

namespace {

struct TempDir {
    std::string path;
    TempDir()
    {
        char t[] = "/tmp/proctree-reader-XXXXXX";
        path = ::mkdtemp(t);
    }
    ~TempDir() { std::system(("rm -rf '" + path + "'").c_str()); }
};

std::string hex(const Sha256& sha)
{
    std::string out;
    char b[3];
    for (std::uint8_t v : sha) {
        std::snprintf(b, sizeof b, "%02x", v);
        out += b;
    }
    return out;
}

std::string sha256sum(const std::string& path)
{
    std::string cmd = "sha256sum '" + path + "'";
    FILE* p = ::popen(cmd.c_str(), "r");
    char buf[65] = {};
    EXPECT_TRUE(p && std::fread(buf, 1, 64, p) == 64);
    if (p) ::pclose(p);
    return std::string(buf, 64);
}

void write_file(const std::string& path, const std::string& bytes)
{
    std::ofstream(path, std::ios::binary | std::ios::trunc) << bytes;
}

}  // namespace

TEST(LinuxImageFileReader, DigestEqualsSha256sumAndIdentityMatchesStat)
{
    TempDir d;
    std::string f = d.path + "/blob";
    std::string bytes;
    for (int i = 0; i < 3'000'000; ++i) bytes += static_cast<char>(i * 7 + i / 251);  // several read chunks
    write_file(f, bytes);
    auto reader = make_linux_image_file_reader();
    FileIdentity id, stated;
    Sha256 sha{};
    std::uint32_t error = 0;
    ASSERT_TRUE(reader->digest(f, id, sha, error)) << error;
    EXPECT_EQ(hex(sha), sha256sum(f));
    EXPECT_EQ(id.size, bytes.size());
    ASSERT_TRUE(reader->identify(f, stated, error));
    EXPECT_EQ(stated, id);

    std::string bin = "/bin/true";  // a real executable, through its symlinks
    ASSERT_TRUE(reader->digest(bin, id, sha, error)) << error;
    EXPECT_EQ(hex(sha), sha256sum(bin));
}

TEST(LinuxImageFileReader, AnEmptyFileHasTheDigestOfNoBytes)
{
    TempDir d;
    std::string f = d.path + "/empty";
    write_file(f, "");
    auto reader = make_linux_image_file_reader();
    FileIdentity id;
    Sha256 sha{};
    std::uint32_t error = 0;
    ASSERT_TRUE(reader->digest(f, id, sha, error)) << error;
    EXPECT_EQ(hex(sha), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    EXPECT_EQ(id.size, 0u);
}

TEST(LinuxImageFileReader, AReplacedFileHasANewIdentity)
{
    TempDir d;
    std::string f = d.path + "/tool";
    write_file(f, "version one");
    auto reader = make_linux_image_file_reader();
    FileIdentity one, two;
    std::uint32_t error = 0;
    ASSERT_TRUE(reader->identify(f, one, error));
    std::string g = d.path + "/tool.new";
    write_file(g, "version two");
    ASSERT_EQ(std::rename(g.c_str(), f.c_str()), 0);  // as package managers replace binaries
    ASSERT_TRUE(reader->identify(f, two, error));
    EXPECT_FALSE(one == two);
}

TEST(LinuxImageFileReader, WhatCannotBeReadSaysWhy)
{
    TempDir d;
    auto reader = make_linux_image_file_reader();
    FileIdentity id;
    Sha256 sha{};
    std::uint32_t error = 0;
    EXPECT_FALSE(reader->identify(d.path + "/missing", id, error));
    EXPECT_EQ(error, static_cast<std::uint32_t>(ENOENT));
    EXPECT_FALSE(reader->digest(d.path + "/missing", id, sha, error));
    EXPECT_EQ(error, static_cast<std::uint32_t>(ENOENT));
    EXPECT_FALSE(reader->digest(d.path, id, sha, error));  // a directory
    EXPECT_EQ(error, static_cast<std::uint32_t>(EINVAL));
    std::string fifo = d.path + "/fifo";
    ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
    EXPECT_FALSE(reader->digest(fifo, id, sha, error));  // returns: no writer is waited for
    EXPECT_EQ(error, static_cast<std::uint32_t>(EINVAL));
}
