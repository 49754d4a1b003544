// Host names as subject tokens: one reading, every byte.
#include <proctree/nats/subject.hpp>

#include <gtest/gtest.h>

namespace proctree::nats {
namespace {

TEST(Subject, PlainNamesStayAsTheyAre) { EXPECT_EQ(subject_for_host("web-1_a"), "proctree.v1.web-1_a"); }

TEST(Subject, DotsWildcardsSpacesAndPercentAreEscaped)
{
    EXPECT_EQ(escape_host("a.b*c>d e%"), "a%2Eb%2Ac%3Ed%20e%25");
    EXPECT_EQ(escape_host(std::string("\x1b\xff", 2)), "%1B%FF");
}

TEST(Subject, EscapingRoundTripsEveryByte)
{
    std::string all;
    for (int c = 0; c < 256; ++c) all += static_cast<char>(c);
    EXPECT_EQ(unescape_host(escape_host(all)), all);
}

TEST(Subject, TokensWithTwoReadingsAreRefused)
{
    EXPECT_FALSE(unescape_host("%41"));  // 'A' is never escaped
    EXPECT_FALSE(unescape_host("%2e"));  // lowercase hex is never produced
    EXPECT_FALSE(unescape_host("a%2"));  // cut short
    EXPECT_FALSE(unescape_host("a.b"));  // a raw dot is two tokens
}

TEST(Subject, MessageIdNamesHostOriginAndRecords) { EXPECT_EQ(message_id("db.1", 42, 7, 99), "db%2E1:42:7-99"); }

}  // namespace
}  // namespace proctree::nats
