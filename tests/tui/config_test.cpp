// Unit tests for tui/viewer/config.cpp: the config file's reader and writer.
#include "viewer/config.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

using namespace proctree::viewer;

namespace {
const std::vector<std::string> kSources{"ebpf", "netlink", "poll"};
}  // namespace

TEST(Config, EveryKeySetsItsTypedSetting)
{
    ConfigRead r = parse_config("# a comment\n"
                                "\n"
                                "source = poll\n"
                                "highlight-ms=750\n"
                                "  columns = pid, CPU%,rss  \n"
                                "sort = CPU%\n"
                                "keep-exited = yes\n"
                                "kernel-threads = true\r\n"
                                "export-dir = /tmp/some where\n",
                                kSources);
    EXPECT_TRUE(r.problems.empty());
    EXPECT_EQ(r.settings.source, "poll");
    EXPECT_EQ(r.settings.highlight_ms, 750u);
    EXPECT_EQ(r.settings.columns, (std::vector<Column>{Column::Pid, Column::Cpu, Column::Rss}));
    EXPECT_EQ(r.settings.sort, SortKey::Cpu);
    EXPECT_TRUE(r.settings.keep_exited);
    EXPECT_TRUE(r.settings.kernel_threads);
    EXPECT_EQ(r.settings.export_dir, "/tmp/some where");
}

TEST(Config, ABadLineIsReportedOnceWithItsNumberAndKeepsTheDefault)
{
    ConfigRead r = parse_config("columns = pid,user\n"
                                "colour = red\n"
                                "highlight-ms = soon\n"
                                "source = ebpf\n"
                                "sort = colour\n"
                                "columns = pid,nope\n"
                                "keep-exited\n"
                                "source = carrier-pigeon\n"
                                "kernel-threads = maybe\n",
                                kSources);
    ASSERT_EQ(r.problems.size(), 7u);
    EXPECT_EQ(r.problems[0].line, 2u);
    EXPECT_NE(r.problems[0].message.find("unknown key 'colour'"), std::string::npos);
    EXPECT_NE(r.problems[0].message.find("highlight-ms"), std::string::npos);  // the keys listed
    EXPECT_EQ(r.problems[1].line, 3u);
    EXPECT_NE(r.problems[1].message.find("highlight-ms: 'soon'"), std::string::npos);
    EXPECT_EQ(r.problems[2].line, 5u);
    EXPECT_EQ(r.problems[3].line, 6u);
    EXPECT_NE(r.problems[3].message.find("nope"), std::string::npos);
    EXPECT_EQ(r.problems[4].line, 7u);
    EXPECT_EQ(r.problems[5].line, 8u);
    EXPECT_EQ(r.problems[6].line, 9u);
    // The good lines apply; the bad ones leave what was there.
    Settings d;
    EXPECT_EQ(r.settings.columns, (std::vector<Column>{Column::Pid, Column::User}));
    EXPECT_EQ(r.settings.source, "ebpf");
    EXPECT_EQ(r.settings.highlight_ms, d.highlight_ms);
    EXPECT_EQ(r.settings.sort, d.sort);
    EXPECT_EQ(r.settings.keep_exited, d.keep_exited);
    EXPECT_EQ(r.settings.kernel_threads, d.kernel_threads);
}

TEST(Config, ValuesOutOfRangeAndControlCharactersAreRefusedAndShownEscaped)
{
    ConfigRead r = parse_config("highlight-ms = 86400001\nhighlight-ms = -1\nsort = \x1b[31m\n", kSources);
    ASSERT_EQ(r.problems.size(), 3u);
    EXPECT_EQ(r.problems[2].message.find('\x1b'), std::string::npos);
    EXPECT_EQ(r.settings.highlight_ms, Settings{}.highlight_ms);
}

TEST(Config, WhatIsWrittenReadsBackTheSame)
{
    Settings s;
    s.source = "netlink";
    s.highlight_ms = 0;
    s.columns = {Column::Threads, Column::Age, Column::State};
    s.sort = SortKey::Name;
    s.keep_exited = true;
    s.export_dir = "/var/tmp/exports";
    std::string text = write_config(s);
    ConfigRead r = parse_config(text, kSources);
    EXPECT_TRUE(r.problems.empty()) << r.problems.front().message;
    EXPECT_EQ(r.settings, s);
    for (const ConfigKey& k : config_keys()) EXPECT_NE(text.find(std::string(k.name) + " = "), std::string::npos);
    for (const SortColumn& c : sort_columns()) {  // every sort has a name that reads back
        s.sort = c.key;
        EXPECT_EQ(parse_config(write_config(s), kSources).settings.sort, c.key);
    }
}

TEST(Config, PathFollowsXdgConfigHomeElseHome)
{
    EXPECT_EQ(config_path("/x/cfg", "/home/a"), "/x/cfg/proctree/config");
    EXPECT_EQ(config_path("relative", "/home/a"), "/home/a/.config/proctree/config");  // XDG: absolute only
    EXPECT_EQ(config_path("", "/home/a"), "/home/a/.config/proctree/config");
    EXPECT_EQ(config_path(nullptr, nullptr), std::nullopt);
}
