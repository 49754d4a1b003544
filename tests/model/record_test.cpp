// Unit tests for model/src/record.cpp: the names shown for sources and kinds.
#include <proctree/model/record.hpp>
#include <proctree/wire.h>

#include <gtest/gtest.h>

using namespace proctree::model;

TEST(Record, SourceAndOsNames)
{
    EXPECT_EQ(to_string(SourceKind::WindowsDriver), "windows-driver");
    EXPECT_EQ(to_string(SourceKind::Ebpf), "ebpf");
    EXPECT_EQ(to_string(SourceKind::Poll), "poll");
    EXPECT_EQ(to_string(Os::Windows), "windows");
    EXPECT_EQ(to_string(static_cast<SourceKind>(77)), "unknown");
}

TEST(Record, TypeNames)
{
    EXPECT_EQ(record_type_name(PT_REC_PROCESS_CREATE), "create");
    EXPECT_EQ(record_type_name(PT_REC_EVENTS_LOST), "events_lost");
    EXPECT_EQ(record_type_name(999), "unknown");
}

TEST(Record, IdentityIsPidAndStartTime)
{
    EXPECT_NE((Identity{42, 1}), (Identity{42, 2}));
    EXPECT_NE(IdentityHash{}(Identity{42, 1}), IdentityHash{}(Identity{42, 2}));
    EXPECT_LT((Identity{1, 5}), (Identity{2, 0}));
}
