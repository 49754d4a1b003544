// proctree/model/export.hpp - the view as text or JSON, exactly as shown
// (filter and collapse state included), every string escaped.
#pragma once

#include <proctree/model/tree.hpp>

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace proctree::model {

// A column before the tree in the text export (the viewer's screen columns).
struct ExportColumn {
    std::string header;                               // "CPU%"
    int width = 0;                                    // at least; a longer text is written whole
    bool right = false;                               // right-aligned (numbers)
    std::function<std::string(const Process&)> cell;  // displayable text, escaped; "-" where unknown
};

struct ExportInfo {
    std::uint64_t time_ns = 0;  // when the export was made (wall clock)
    std::string host;
    std::string source;                   // "netlink", "file tests/data/x.ptr", ...
    std::vector<ExportColumn> columns{};  // before the tree, in order; empty: PID alone
};

// Header lines (time, host, source, filter), a line naming the columns, then
// one line per row: "PID ...  [state] tree-glyphs name  cmdline  (exit 0 after 12 ms)".
std::string export_text(const ProcessTree& tree, const ExportInfo& info);
// {"time":..,"host":..,"source":..,"filter":..,"processes":[{pid, ppid
//  (the parent now), original_ppid (who spawned it), reparented_ns,
//  start_ns, name, cmdline, image, user, state, exit_code, exit_signal,
//  lifetime_ns, cpu_ns, peak_rss_bytes, children:[...]}]}
std::string export_json(const ProcessTree& tree, const ExportInfo& info);

// Shared formatting for the screen and exports.
std::string format_duration(std::uint64_t ns);  // "850 us", "12 ms", "3.2 s", "5 min"
std::string describe_exit(const Process& p);    // "exit 0", "signal 9 (KILL)", "exit ?"
std::string format_utc(std::uint64_t ns);       // "2026-11-21 19:23:48 UTC"
// "re-parented from 812 to 1" (spawner to the kernel's parent now); "" if never.
std::string describe_reparenting(const Process& p);
std::string sha256_hex(const std::array<std::uint8_t, 32>& digest);  // 64 lower-case hex digits
// "sha256 <hex>, 123456 bytes", "unreadable (error 2)", "not hashed (hasher
// behind)"; "" for no facts.
std::string describe_image_facts(const ImageFacts* f);
// {"status":"hashed","size":..,"sha256":"..","path":".."} or null.
std::string image_facts_json(const ImageFacts* f);
// How long an exited process lived: from its create record when we saw it
// being created (identity start times can be coarse: Linux's boot time has
// whole-second resolution), else from its start time. 0 while running.
std::uint64_t process_lifetime_ns(const Process& p);
// True when that count starts from the start time (a poll or a snapshot
// found the process later): Linux start times can be a second early.
bool lifetime_is_approximate(const Process& p);
// "12 ms", "~1.5 s" (approximate), "" when 0.
std::string describe_lifetime(const Process& p);
// An exited process's whole-life usage as far as known: "cpu 312 ms, peak
// RSS 52.1 MiB", "cpu 4 ms", ""; never a made-up figure.
std::string describe_exit_usage(const Process& p);
// A JSON number, or null when unknown.
std::string json_number(std::optional<std::uint64_t> value);

}  // namespace proctree::model
