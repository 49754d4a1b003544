// FdSink (driver/linux/src/fd_sink.cpp): whole records out, buffered, and a
// clean failure when the reader is gone.
#include <proctree/produce/fd_sink.hpp>

#include <gtest/gtest.h>

#include <signal.h>
#include <unistd.h>

#include <string>

using proctree::collect::FdSink;

namespace {

std::string drain(int fd)
{
    std::string out;
    char buf[4096];
    ssize_t n;
    while ((n = ::read(fd, buf, sizeof buf)) > 0) out.append(buf, static_cast<std::size_t>(n));
    return out;
}

}  // namespace

TEST(FdSink, BuffersUntilFlushThenWritesEverythingInOrder)
{
    int p[2];
    ASSERT_EQ(::pipe(p), 0);
    {
        FdSink sink(p[1], 16);
        EXPECT_TRUE(sink.write("abcdefgh", 8));
        EXPECT_TRUE(sink.write("12345678", 8));
        EXPECT_TRUE(sink.write("this record is larger than the buffer", 37));
        sink.flush();
        EXPECT_FALSE(sink.failed());
    }
    ::close(p[1]);
    EXPECT_EQ(drain(p[0]), "abcdefgh12345678this record is larger than the buffer");
    ::close(p[0]);
}

TEST(FdSink, AClosedReaderFailsTheSinkWithoutKillingTheProcess)
{
    signal(SIGPIPE, SIG_IGN);
    int p[2];
    ASSERT_EQ(::pipe(p), 0);
    ::close(p[0]);
    FdSink sink(p[1], 8);
    sink.write("12345678", 8);
    sink.flush();
    EXPECT_TRUE(sink.failed());
    EXPECT_FALSE(sink.error().empty());
    EXPECT_FALSE(sink.write("x", 1));
    ::close(p[1]);
}
