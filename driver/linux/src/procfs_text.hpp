// Internal: parsing the text of /proc files, shared by ProcFs and the live
// sources (which read single files on the hot path). Exposed for unit tests.
#pragma once

#include <proctree/linux/procfs.hpp>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace proctree::collect {

struct StatFields {
    std::string comm;
    char state = '?';
    std::uint32_t ppid = 0;
    std::uint64_t flags = 0;
    std::uint32_t threads = 0;
    std::uint64_t start_ticks = 0;
    std::uint64_t utime_ticks = 0;  // user and system CPU time (clock ticks)
    std::uint64_t stime_ticks = 0;
    std::int64_t rss_pages = -1;  // resident set; -1 when the line is cut short
    // Where argv lies in the process's memory; 0 when the reader may not
    // look (another user's process) or the line is cut short.
    std::uint64_t arg_start = 0;
    std::uint64_t arg_end = 0;
};

// /proc/PID/stat; nullopt when malformed.
std::optional<StatFields> parse_stat(std::string_view text);
// /proc/PID/cmdline: argv joined by single spaces.
std::string join_cmdline(std::string_view raw);
// A /proc/PID/cmdline file joined (join_cmdline), keeping what a record can
// carry. A longer one is read on only to count it (up to kCmdlineCountLimit
// bytes): `whole` is then its joined length, else 0 (not cut, or too long to
// count). Empty text when unreadable.
struct CmdlineText {
    std::string text;
    std::uint32_t whole = 0;
};
inline constexpr std::size_t kCmdlineCountLimit = 64u << 20;
CmdlineText read_cmdline(const std::string& path);
// /proc/PID/status: the effective uid, and the Tgid when tgid is non-null.
std::optional<std::uint32_t> parse_status_uid(std::string_view status, std::optional<std::uint32_t>* tgid);
// Whole file up to limit bytes; false when it cannot be opened or read.
bool read_small_file(const std::string& path, std::string& out, std::size_t limit);
// readlink of proc_dir/exe; empty when unreadable.
std::string read_exe_link(const std::string& proc_dir);
// Cached user name of uid; empty when unknown.
std::string user_name(std::uint32_t uid);
// Parents before children (sorted by start time, ancestors pulled forward).
std::vector<ProcInfo> order_parents_first(std::vector<ProcInfo> procs);

}  // namespace proctree::collect
