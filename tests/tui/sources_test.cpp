// The program's list of live sources and the options every command that
// opens one shares: one parser of source names, one --interval range.
#include "cli.hpp"
#include "sources.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

using namespace proctree;

namespace {

TEST(Sources, EveryLinkedNameParsesToItsKindAndNothingElseDoes)
{
    EXPECT_EQ(parse_source_kind("auto"), collect::SourceKind::Auto);
    for (const auto& f : linked_sources()) EXPECT_EQ(parse_source_kind(f.name), f.kind) << f.name;
    EXPECT_EQ(parse_source_kind("Netlink"), std::nullopt);
    EXPECT_EQ(parse_source_kind(""), std::nullopt);
    EXPECT_EQ(parse_source_kind("netlink "), std::nullopt);
}

// Parses `args` (after the program name) on the whole command line.
bool parses(std::vector<std::string> args)
{
    CLI::App app;
    cli::Commands commands = cli::build_app(app);  // holds the options the parse writes to
    std::vector<std::string> reversed(args.rbegin(), args.rend());
    try {
        app.parse(reversed);
        return true;
    } catch (const CLI::ParseError&) {
        return false;
    }
}

// The viewer, record and publish take the same names and the same range.
TEST(Sources, EveryCommandTakesTheSameNamesAndIntervalRange)
{
    const std::vector<std::vector<std::string>> commands{{}, {"record"}, {"publish", "--nats", "nats://x:1"}};
    for (const auto& cmd : commands) {
        auto with = [&](std::vector<std::string> extra) {
            std::vector<std::string> a = cmd;
            a.insert(a.end(), extra.begin(), extra.end());
            return parses(a);
        };
        std::string which = cmd.empty() ? "viewer" : cmd[0];
        for (const auto& f : linked_sources()) EXPECT_TRUE(with({"--source", std::string(f.name)})) << which;
        EXPECT_TRUE(with({"--source", "auto"})) << which;
        EXPECT_FALSE(with({"--source", "bogus"})) << which;
        EXPECT_TRUE(with({"--interval", std::to_string(kMinIntervalMs)})) << which;
        EXPECT_TRUE(with({"--interval", std::to_string(kMaxIntervalMs)})) << which;
        EXPECT_FALSE(with({"--interval", std::to_string(kMinIntervalMs - 1)})) << which;
        EXPECT_FALSE(with({"--interval", std::to_string(kMaxIntervalMs + 1)})) << which;
    }
}

TEST(Sources, TheOptionsGiveTheKindAndInterval)
{
    LiveSourceArgs a;
    a.source = "poll";
    a.interval_ms = 250;
    collect::SourceOptions so = live_source_options(a);
    EXPECT_EQ(so.kind, collect::SourceKind::Poll);
    EXPECT_EQ(so.poll_interval, std::chrono::milliseconds(250));
}

}  // namespace
