// open_source: the registry's choice among the sources a program links in.
// The factories here stand in for leaves (they start or refuse on demand);
// what is under test is the choosing and what it says.
#include <proctree/produce/source.hpp>

#include <gtest/gtest.h>

#include <array>
#include <string>
#include <vector>

namespace {

using namespace proctree::collect;

class IdleSource final : public Source {
public:
    explicit IdleSource(pt_source k) : kind_(k) {}
    pt_source kind() const override { return kind_; }
    int run(ByteSink&, const std::atomic<bool>&) override { return 0; }

private:
    pt_source kind_;
};

std::unique_ptr<Source> refuses(const SourceOptions&, std::string& why_not)
{
    why_not = "needs root";
    return nullptr;
}

std::unique_ptr<Source> starts(const SourceOptions&, std::string&)
{
    return std::make_unique<IdleSource>(PT_SOURCE_POLL);
}

constexpr std::array<SourceFactory, 3> kSources{{
    {SourceKind::Ebpf, "ebpf", refuses},
    {SourceKind::Netlink, "netlink", refuses},
    {SourceKind::Poll, "poll", starts},
}};

TEST(OpenSource, AutoTakesTheFirstThatStartsAndSaysWhyTheOthersWereRefused)
{
    std::vector<std::string> said;
    SourceOptions o;
    o.notice = [&](std::string_view m) { said.emplace_back(m); };
    std::string error;
    auto s = open_source(kSources, o, error);
    ASSERT_NE(s, nullptr) << error;
    EXPECT_EQ(s->kind(), PT_SOURCE_POLL);
    ASSERT_EQ(said.size(), 1u);
    EXPECT_EQ(said[0], "source: poll (refused: ebpf: needs root; netlink: needs root)");
}

TEST(OpenSource, AskedForKindThatRefusesNamesItAndWhy)
{
    SourceOptions o;
    o.kind = SourceKind::Netlink;
    std::string error;
    EXPECT_EQ(open_source(kSources, o, error), nullptr);
    EXPECT_EQ(error, "netlink source unavailable: needs root");
}

TEST(OpenSource, KindNotLinkedInIsRefusedInOneLine)
{
    SourceOptions o;
    o.kind = SourceKind::Ebpf;
    std::string error;
    EXPECT_EQ(open_source(std::span(kSources).subspan(1), o, error), nullptr);
    EXPECT_EQ(error, "this proctree has no such source; use --source auto");
}

TEST(OpenSource, NothingStartsListsEveryRefusal)
{
    SourceOptions o;
    std::string error;
    EXPECT_EQ(open_source(std::span(kSources).first(2), o, error), nullptr);
    EXPECT_EQ(error, "no source can start here (ebpf: needs root; netlink: needs root)");
}

}  // namespace
