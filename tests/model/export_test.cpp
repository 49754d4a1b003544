// Unit tests for model/src/export.cpp.
#include "tree_fixture.hpp"

#include <proctree/model/export.hpp>
#include <proctree/model/truncation.hpp>

#include <nlohmann/json.hpp>

#include <random>

using namespace proctree::model;
using namespace proctree::testing;

namespace {
constexpr std::uint64_t T0 = 1'795'000'000'000'000'000ull;  // 2026-11-18

ProcessTree& fill(ProcessTree& tree)
{
    StreamBuilder b;
    b.create(T0, {1, T0}, {0, 0}, "init", "/sbin/init")
        .create(T0 + 1, {2, T0 + 1}, {1, T0}, "\x1b]2;owned\a", "evil \x1b[2J --flag")
        .create(T0 + 2, {3, T0 + 2}, {1, T0}, "short")
        .exit(T0 + 2 + 12'000'000, {3, T0 + 2}, 0, 9, PT_EXIT_SIGNALED);
    feed(tree, b);
    return tree;
}
}  // namespace

TEST(Export, TextHasHeaderAndOneEscapedLinePerRow)
{
    ProcessTree tree;
    fill(tree);
    std::string text = export_text(tree, ExportInfo{T0, "box", "netlink"});
    EXPECT_NE(text.find("# time: 2026-11-18"), std::string::npos) << text;
    EXPECT_NE(text.find("# host: box\n"), std::string::npos);
    EXPECT_NE(text.find("# source: netlink\n"), std::string::npos);
    EXPECT_NE(text.find("# filter: none\n"), std::string::npos);
    EXPECT_NE(text.find("├─ \\e]2;owned\\a  evil \\e[2J --flag"), std::string::npos) << text;
    EXPECT_NE(text.find("[x]  └─ short  (signal 9 (KILL) after 12 ms)"), std::string::npos) << text;
    EXPECT_EQ(text.find('\x1b'), std::string::npos);
    EXPECT_EQ(text.find('\a'), std::string::npos);
}

TEST(Export, TextFollowsTheFilter)
{
    ProcessTree tree;
    fill(tree);
    tree.set_filter(Filter{"short", false, {}});
    std::string text = export_text(tree, ExportInfo{T0, "box", "file x"});
    EXPECT_NE(text.find("# filter: name~short"), std::string::npos);
    EXPECT_NE(text.find("# rows: 2 shown of 3 processes"), std::string::npos);
    EXPECT_NE(text.find("[.]  init"), std::string::npos) << text;
    EXPECT_EQ(text.find("owned"), std::string::npos);
}

TEST(Export, TextShowsTheGivenColumnsInOrderWithAHeaderNamingThem)
{
    ProcessTree tree;
    fill(tree);
    ExportInfo info{T0, "box", "netlink"};
    auto known = [](const Process& p) { return p.id.pid == 1 ? std::string("12.5") : std::string("-"); };
    info.columns = {{"CPU%", 5, true, known},
                    {"USER", 6, false, [](const Process& p) { return p.id.pid == 2 ? "a\\x1b" : "root"; }},
                    {"PID", 4, true, [](const Process& p) { return std::to_string(p.id.pid); }}};
    std::string text = export_text(tree, info);
    std::vector<std::string> lines;
    for (std::size_t at = 0, nl; (nl = text.find('\n', at)) != std::string::npos; at = nl + 1)
        if (text[at] != '#') lines.push_back(text.substr(at, nl - at));
    ASSERT_EQ(lines.size(), 4u) << text;
    EXPECT_EQ(lines[0], " CPU%  USER     PID       TREE");
    EXPECT_EQ(lines[1], " 12.5  root       1  [+]  init  /sbin/init");
    EXPECT_EQ(lines[2].substr(0, 33), "    -  a\\x1b      2  [+]  ├─ ");
    EXPECT_EQ(lines[3], "    -  root       3  [x]  └─ short  (signal 9 (KILL) after 12 ms)");
    // Without columns: the PID alone, as before.
    EXPECT_NE(export_text(tree, ExportInfo{T0, "box", "netlink"}).find("\n    PID       TREE\n      1  [+]  init"),
              std::string::npos);
}

TEST(Export, JsonIsNestedAndEscaped)
{
    ProcessTree tree;
    fill(tree);
    std::string json = export_json(tree, ExportInfo{T0, "box", "netlink"});
    EXPECT_EQ(json.find('\x1b'), std::string::npos);
    EXPECT_NE(json.find("\"name\":\"\\u001b]2;owned\\u0007\""), std::string::npos) << json;
    EXPECT_NE(json.find("\"exit_signal\":9"), std::string::npos);
    EXPECT_NE(json.find("\"lifetime_ns\":12000000"), std::string::npos);
    // init's children array holds both children; braces balance.
    EXPECT_EQ(std::count(json.begin(), json.end(), '{'), std::count(json.begin(), json.end(), '}'));
    EXPECT_EQ(std::count(json.begin(), json.end(), '['), std::count(json.begin(), json.end(), ']'));
    EXPECT_NE(json.find("\"children\":[{\"pid\":2"), std::string::npos) << json;
}

TEST(Export, DescribeExitAndDurations)
{
    Process p;
    p.exited = true;
    p.exit_code = 3;
    EXPECT_EQ(describe_exit(p), "exit 3");
    p.exit_code = static_cast<std::int32_t>(0xC0000005u);
    EXPECT_EQ(describe_exit(p), "exit 0xC0000005");
    p.exit_flags = PT_EXIT_SIGNALED | PT_EXIT_CORE_DUMPED;
    p.exit_signal = 11;
    EXPECT_EQ(describe_exit(p), "signal 11 (SEGV), core dumped");
    p.exit_flags = PT_EXIT_CODE_UNKNOWN;
    EXPECT_EQ(describe_exit(p), "exit ?");
    EXPECT_EQ(format_duration(850'000), "850 us");
    EXPECT_EQ(format_duration(12'000'000), "12 ms");
    EXPECT_EQ(format_duration(3'200'000'000), "3.2 s");
    EXPECT_EQ(format_utc(0), "1970-01-01 00:00:00 UTC");
}

TEST(Export, LifetimeCountsFromTheCreateRecordWhenTheCreationWasSeen)
{
    // Linux identity start times are btime (whole seconds) + ticks: up to a
    // second early. A process seen being created lived from that record.
    ProcessTree tree;
    StreamBuilder b;
    b.create(T0 + 900'000'000, {9, T0}, {0, 0}, "quick").exit(T0 + 907'000'000, {9, T0}, 0);
    feed(tree, b);
    EXPECT_EQ(process_lifetime_ns(*tree.find({9, T0})), 7'000'000u);
    // From a snapshot only the start time is known.
    ProcessTree old;
    StreamBuilder s;
    s.snapshot(T0 + 5, true)
        .create(T0 + 5, {3, T0}, {0, 0}, "old")
        .snapshot(T0 + 5, false)
        .exit(T0 + 2'000'000'000, {3, T0}, 0);
    feed(old, s);
    EXPECT_EQ(process_lifetime_ns(*old.find({3, T0})), 2'000'000'000u);
}

TEST(Export, ImageFactsInTextAndJson)
{
    ProcessTree tree;
    std::string sha(32, '\0');
    for (int i = 0; i < 32; ++i) sha[i] = static_cast<char>(i * 8);
    StreamBuilder b;
    b.create(T0, {1, T0}, {0, 0}, "init", "/sbin/init", "root", "/sbin/init")
        .create(T0 + 1, {2, T0 + 1}, {1, T0}, "sh", "sh", "root", "/bin/sh")
        .exec(T0 + 2, {2, T0 + 1}, "tool", "tool", "/opt/tool")
        .facts(T0 + 3, {1, T0}, 0, PT_FACTS_HASHED, "/sbin/init", 4096, sha)
        .facts(T0 + 4, {2, T0 + 1}, 2, PT_FACTS_UNREADABLE, "/opt/tool", 0, {}, 13)
        .facts(T0 + 5, {2, T0 + 1}, 1, PT_FACTS_SKIPPED, "");
    feed(tree, b);
    std::string hex = sha256_hex(tree.find({1, T0})->image_facts->sha256);
    EXPECT_EQ(hex.substr(0, 8), "00081018");
    EXPECT_EQ(hex.size(), 64u);
    std::string text = export_text(tree, ExportInfo{T0, "box", "ebpf"});
    EXPECT_NE(text.find("init  /sbin/init  [sha256 " + hex + ", 4096 bytes]"), std::string::npos) << text;
    EXPECT_NE(text.find("tool  tool  [unreadable (error 13)]"), std::string::npos) << text;
    std::string json = export_json(tree, ExportInfo{T0, "box", "ebpf"});
    EXPECT_NE(json.find("\"image_facts\":{\"status\":\"hashed\",\"size\":4096,\"sha256\":\"" + hex +
                        "\",\"path\":\"/sbin/init\"}"),
              std::string::npos)
        << json;
    EXPECT_NE(json.find("\"image_facts\":{\"status\":\"unreadable\",\"error\":13,\"path\":\"/opt/tool\"}"),
              std::string::npos)
        << json;
    EXPECT_NE(json.find("\"execs\":[{\"time_ns\":" + std::to_string(T0 + 2) +
                        ",\"replaced_image\":\"/bin/sh\",\"replaced_image_facts\":{\"status\":\"skipped\"}}]"),
              std::string::npos)
        << json;
    EXPECT_EQ(json.find('\x1b'), std::string::npos);
}

namespace {

std::string unbase64(std::string_view b64)
{
    static constexpr std::string_view kAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    std::string out;
    std::uint32_t acc = 0;
    int bits = 0;
    for (char c : b64) {
        if (c == '=') break;
        acc = (acc << 6) | static_cast<std::uint32_t>(kAlphabet.find(c));
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out += static_cast<char>((acc >> bits) & 0xFF);
        }
    }
    return out;
}

// A string member as exported: the exact bytes in key_base64 when present.
std::string exact(const nlohmann::json& obj, const std::string& key)
{
    if (obj.contains(key + "_base64")) return unbase64(obj[key + "_base64"].get<std::string>());
    return obj[key].get<std::string>();
}

}  // namespace

TEST(Export, TenThousandRandomByteStringsRoundTripThroughTheJsonExport)
{
    std::mt19937 rng(5);
    std::vector<std::string> names(10000), cmdlines(names.size());
    StreamBuilder b;
    for (std::size_t i = 0; i < names.size(); ++i) {
        auto random = [&] {
            std::string s(rng() % 40, '\0');
            for (char& c : s) c = static_cast<char>(rng() % 3 ? rng() : "\\\"\x1b\xc2\x9b\xe2\x80\xae\x7f"[rng() % 9]);
            return s;
        };
        names[i] = random();
        cmdlines[i] = random();
        auto pid = static_cast<std::uint32_t>(i + 1);
        b.create(T0 + i, {pid, T0 + i}, {0, 0}, names[i], cmdlines[i]);
    }
    ProcessTree tree;
    feed(tree, b);
    std::string text = export_json(tree, ExportInfo{T0, "box", "file"});
    nlohmann::json doc = nlohmann::json::parse(text);  // strict: throws on anything that is not JSON
    ASSERT_EQ(doc["processes"].size(), names.size());
    for (const nlohmann::json& p : doc["processes"]) {
        std::size_t i = p["pid"].get<std::size_t>() - 1;
        ASSERT_EQ(exact(p, "name"), names[i]) << p.dump();
        ASSERT_EQ(exact(p, "cmdline"), cmdlines[i]) << p.dump();
    }
}

TEST(Export, ARealEscAndALiteralBackslashEGiveDifferentJsonAndText)
{
    ProcessTree tree;
    StreamBuilder b;
    b.create(T0, {1, T0}, {0, 0}, "\x1b[2J").create(T0 + 1, {2, T0 + 1}, {0, 0}, "\\e[2J");
    feed(tree, b);
    std::string json = export_json(tree, ExportInfo{T0, "box", "file"});
    EXPECT_NE(json.find("\"name\":\"\\u001b[2J\""), std::string::npos) << json;
    EXPECT_NE(json.find("\"name\":\"\\\\e[2J\""), std::string::npos) << json;
    std::string text = export_text(tree, ExportInfo{T0, "box", "file"});
    EXPECT_NE(text.find(" \\e[2J\n"), std::string::npos) << text;
    EXPECT_NE(text.find(" \\\\e[2J\n"), std::string::npos) << text;
}

TEST(Export, APolledProcessLivesFromItsStartTimeMarkedApproximate)
{
    // A poll finds `sleep 1.5` a second after it started, and gone 1.5 s in.
    ProcessTree tree;
    StreamBuilder b("box", PT_OS_LINUX, PT_SOURCE_POLL);
    b.create(T0 + 1'000'000'000, {9, T0}, {0, 0}, "sleep")
        .exit(T0 + 1'500'000'000, {9, T0}, 0, 0, PT_EXIT_CODE_UNKNOWN);
    feed(tree, b);
    const Process& p = *tree.find({9, T0});
    EXPECT_EQ(process_lifetime_ns(p), 1'500'000'000u);
    EXPECT_TRUE(lifetime_is_approximate(p));
    std::string text = export_text(tree, ExportInfo{T0, "box", "poll"});
    EXPECT_NE(text.find("sleep  (exit ? after ~1.5 s)"), std::string::npos) << text;
    std::string json = export_json(tree, ExportInfo{T0, "box", "poll"});
    EXPECT_NE(json.find("\"lifetime_ns\":1500000000,\"lifetime_approximate\":true"), std::string::npos) << json;
}

TEST(Export, JsonCarriesAnExitsCpuTimeAndPeakRssAndNullWhenUnknown)
{
    ProcessTree tree;
    StreamBuilder b;
    b.create(T0, {1, T0}, {0, 0}, "init")
        .create(T0 + 1, {2, T0 + 1}, {1, T0}, "burner")
        .create(T0 + 2, {3, T0 + 2}, {1, T0}, "old-style")
        .exit_usage(T0 + 5, {2, T0 + 1}, 0, 312'000'000ull, 52ull << 20)
        .exit(T0 + 6, {3, T0 + 2}, 0);
    feed(tree, b);
    auto doc = nlohmann::json::parse(export_json(tree, ExportInfo{T0, "box", "ebpf"}));
    const auto& kids = doc["processes"][0]["children"];
    ASSERT_EQ(kids.size(), 2u);
    EXPECT_EQ(kids[0]["cpu_ns"], 312'000'000ull);
    EXPECT_EQ(kids[0]["peak_rss_bytes"], 52ull << 20);
    EXPECT_TRUE(kids[1]["cpu_ns"].is_null());
    EXPECT_TRUE(kids[1]["peak_rss_bytes"].is_null());
    EXPECT_FALSE(doc["processes"][0].contains("cpu_ns"));  // still running: no whole-life figure yet
    EXPECT_EQ(describe_exit_usage(*tree.find({2, T0 + 1})), "cpu 312 ms, peak RSS 52.0 MiB");
    EXPECT_EQ(describe_exit_usage(*tree.find({3, T0 + 2})), "");
}

// Point by point, what the details pane shows of a kept exited process must
// be in both exports too: it is kept (long past its highlight) with its exit
// and lifetime, its image's hash, its exec, renames, image loads and creator.
TEST(Export, AKeptExitedProcessCarriesItsDetailsInTextAndJson)
{
    ProcessTree tree(TreeConfig{3'000'000'000ull, true});
    std::string sha(32, '\x5a');
    const Identity init{1, T0}, job{7, T0 + 1};
    StreamBuilder b;
    b.create(T0, {1, T0}, {0, 0}, "init", "/sbin/init", "root", "/sbin/init")
        .create(T0 + 1, {7, T0 + 1}, {1, T0}, "job", "job --once", "root", "/usr/bin/job")
        .facts(T0 + 2, {7, T0 + 1}, 1, PT_FACTS_HASHED, "/usr/bin/job", 1234, sha)
        .exec(T0 + 3, {7, T0 + 1}, "job2", "job2 -x", "/usr/bin/job2")
        .rename(T0 + 4, {7, T0 + 1}, "worker")
        .image(T0 + 5, {7, T0 + 1}, "/lib/libc.so.6")
        .exit(T0 + 1 + 250'000'000, {7, T0 + 1}, 3);
    feed(tree, b);
    tree.advance(T0 + 60'000'000'000ull);  // a minute later: kept, not in its highlight any more
    ASSERT_NE(tree.find(job), nullptr);
    ASSERT_NE(tree.find(init), nullptr);

    std::string text = export_text(tree, ExportInfo{T0, "box", "ebpf"});
    EXPECT_NE(text.find("worker  job2 -x"), std::string::npos) << text;
    EXPECT_NE(text.find("(exit 3 after 250 ms)"), std::string::npos) << text;

    nlohmann::json doc = nlohmann::json::parse(export_json(tree, ExportInfo{T0, "box", "ebpf"}));
    const nlohmann::json& p = doc.at("processes").at(0).at("children").at(0);
    EXPECT_EQ(p.at("pid"), 7);
    EXPECT_EQ(p.at("state"), "exited");
    EXPECT_EQ(p.at("exit_code"), 3);
    EXPECT_EQ(p.at("lifetime_ns"), 250'000'000);
    EXPECT_EQ(p.at("creator_pid"), 1);
    EXPECT_TRUE(p.at("original_parent").is_null());
    EXPECT_EQ(p.at("execs").at(0).at("replaced_image"), "/usr/bin/job");
    EXPECT_EQ(p.at("execs").at(0).at("replaced_image_facts").at("sha256"), [] {
        std::string hex;
        for (int i = 0; i < 32; ++i) hex += "5a";
        return hex;
    }());
    EXPECT_EQ(p.at("renames").at(0).at("before"), "job2");
    EXPECT_EQ(p.at("renames").at(0).at("after"), "worker");
    EXPECT_EQ(p.at("images_loaded").at(0).at("path"), "/lib/libc.so.6");
    EXPECT_EQ(p.at("images_loaded").at(0).at("base"), 0x140000000ull);
}

TEST(Export, AReparentedProcessShowsItsParentNowAndWhoSpawnedIt)
{
    ProcessTree tree;
    StreamBuilder b;
    b.create(T0, {1, T0}, {0, 0}, "init")
        .create(T0 + 1, {5, T0 + 1}, {1, T0}, "sh")
        .create(T0 + 2, {6, T0 + 2}, {5, T0 + 1}, "daemon")
        .exit(T0 + 3, {5, T0 + 1}, 0)
        .reparent(T0 + 3, {6, T0 + 2}, {1, T0}, {5, T0 + 1});
    feed(tree, b);
    std::string text = export_text(tree, ExportInfo{T0, "box", "netlink"});
    EXPECT_NE(text.find("└─ daemon  [re-parented from 5 to 1]"), std::string::npos) << text;
    nlohmann::json doc = nlohmann::json::parse(export_json(tree, ExportInfo{T0, "box", "netlink"}));
    const nlohmann::json& init = doc["processes"][0];
    ASSERT_EQ(init["children"].size(), 2u);
    const nlohmann::json& sh = init["children"][0];
    const nlohmann::json& daemon = init["children"][1];
    EXPECT_EQ(daemon["pid"], 6);
    EXPECT_EQ(daemon["ppid"], 1);
    EXPECT_EQ(daemon["parent_start_ns"], T0);
    EXPECT_EQ(daemon["original_ppid"], 5);
    EXPECT_EQ(daemon["original_parent_start_ns"], T0 + 1);
    EXPECT_EQ(daemon["reparented_ns"], T0 + 3);
    EXPECT_EQ(sh["ppid"], 1);
    EXPECT_EQ(sh["original_ppid"], 1);
    EXPECT_TRUE(sh["reparented_ns"].is_null());
}

TEST(Export, ACutCommandLineIsMarkedWithHowMuchIsMissingInTextAndJson)
{
    ProcessTree tree;
    StreamBuilder b;
    std::string cmd = "big " + std::string(100'000, 'a') + " END";
    b.create(T0, {1, T0}, {0, 0}, "init", "/sbin/init")
        .create_cut(T0 + 1, {2, T0 + 1}, {1, T0}, "big", cmd, 0)
        .create(T0 + 2, {3, T0 + 2}, {1, T0}, "old", "old -x", {}, {}, 1, PT_PROC_CMDLINE_TRUNCATED)
        .create(T0 + 3, {4, T0 + 3}, {1, T0}, "wait…", "wait… …(+5 bytes)");
    feed(tree, b);
    std::uint64_t missing = cmd.size() - PT_MAX_STRING;
    std::string text = export_text(tree, ExportInfo{T0, "box", "netlink"});
    EXPECT_NE(text.find(std::string(40, 'a') + "…(+" + group_digits(missing) + " bytes)\n"), std::string::npos)
        << text.substr(text.size() - 300);
    EXPECT_EQ(text.find(" END"), std::string::npos);
    EXPECT_NE(text.find("old  old -x…\n"), std::string::npos) << text;
    // A process's own "…" is escaped: a bare one is always the marker.
    EXPECT_NE(text.find("wait\\u{2026}  wait\\u{2026} \\u{2026}(+5 bytes)\n"), std::string::npos) << text;

    auto j = nlohmann::json::parse(export_json(tree, ExportInfo{T0, "box", "netlink"}));
    const auto& kids = j["processes"][0]["children"];
    EXPECT_EQ(kids[0]["cmdline"].get<std::string>().size(), PT_MAX_STRING);
    EXPECT_EQ(kids[0]["cmdline_truncated"], true);
    EXPECT_EQ(kids[0]["cmdline_missing_bytes"], missing);
    EXPECT_EQ(kids[0]["name_truncated"], false);
    EXPECT_EQ(kids[0]["name_missing_bytes"], 0);
    EXPECT_EQ(kids[1]["cmdline_truncated"], true);
    EXPECT_TRUE(kids[1]["cmdline_missing_bytes"].is_null());
    EXPECT_EQ(kids[2]["cmdline"], "wait… …(+5 bytes)");  // JSON: the exact text
    EXPECT_EQ(kids[2]["cmdline_truncated"], false);
}
