// Unit tests for model/src/truncation.cpp: one marker and one pair of JSON
// members for a string the producer cut.
#include "tree_fixture.hpp"

#include <proctree/model/truncation.hpp>

using namespace proctree::model;
using namespace proctree::testing;

TEST(Truncation, TheMarkerSaysHowManyBytesAreMissingWhenKnown)
{
    EXPECT_EQ(cut_marker(Cut{true, 95'904}), "…(+95,904 bytes)");
    EXPECT_EQ(cut_marker(Cut{true, 1}), "…(+1 byte)");
    EXPECT_EQ(cut_marker(Cut{true, std::nullopt}), "…");
    EXPECT_EQ(cut_marker(Cut{}), "");
    EXPECT_EQ(cut_marker(Cut{true, 7}, "\\~"), "\\~(+7 bytes)");
}

TEST(Truncation, DigitsAreGroupedInThousands)
{
    EXPECT_EQ(group_digits(0), "0");
    EXPECT_EQ(group_digits(999), "999");
    EXPECT_EQ(group_digits(1000), "1,000");
    EXPECT_EQ(group_digits(95'904), "95,904");
    EXPECT_EQ(group_digits(1'234'567), "1,234,567");
}

TEST(Truncation, JsonSaysFalseAndZeroWhenWholeNullWhenUnknown)
{
    EXPECT_EQ(cut_json("cmdline", Cut{}), ",\"cmdline_truncated\":false,\"cmdline_missing_bytes\":0");
    EXPECT_EQ(cut_json("cmdline", Cut{true, 95'904}), ",\"cmdline_truncated\":true,\"cmdline_missing_bytes\":95904");
    EXPECT_EQ(cut_json("image", Cut{true, std::nullopt}), ",\"image_truncated\":true,\"image_missing_bytes\":null");
}

TEST(Truncation, AProcessKeepsWhatWasCutAndByHowMuch)
{
    ProcessTree tree;
    StreamBuilder b;
    b.create_cut(1, {9, 90}, {0, 0}, "big", std::string(100'000, 'a'), 0)
        .create(2, {10, 91}, {0, 0}, "old", std::string(PT_MAX_STRING, 'b'), {}, {}, 1, PT_PROC_CMDLINE_TRUNCATED)
        .create(3, {11, 92}, {0, 0}, "whole", "whole -x");
    feed(tree, b);
    Cut big = cut_of(*tree.find({9, 90}), TextField::Cmdline);
    EXPECT_TRUE(big.truncated);
    EXPECT_EQ(big.missing, 100'000u - PT_MAX_STRING);
    EXPECT_FALSE(cut_of(*tree.find({9, 90}), TextField::Name).truncated);
    Cut old = cut_of(*tree.find({10, 91}), TextField::Cmdline);
    EXPECT_TRUE(old.truncated);
    EXPECT_FALSE(old.missing);
    EXPECT_FALSE(cut_of(*tree.find({11, 92}), TextField::Cmdline).truncated);
}

TEST(Truncation, AnExecReplacesTheCutAndAResyncBringsItsOwn)
{
    ProcessTree tree;
    StreamBuilder b;
    b.create_cut(1, {9, 90}, {0, 0}, "big", std::string(100'000, 'a'), 0).exec(2, {9, 90}, "ls", "ls -l");
    feed(tree, b);
    EXPECT_FALSE(cut_of(*tree.find({9, 90}), TextField::Cmdline).truncated);

    StreamBuilder r;
    r.snapshot(3, true, PT_SNAPSHOT_RESYNC)
        .create_cut(3, {9, 90}, {0, 0}, "ls", std::string(6000, 'c'), 0)
        .snapshot(3, false, PT_SNAPSHOT_RESYNC);
    feed(tree, r);
    EXPECT_EQ(cut_of(*tree.find({9, 90}), TextField::Cmdline).missing, 6000u - PT_MAX_STRING);
}
