// ProcFs: reading processes from /proc (see procfs.hpp).
//
// Every read tolerates the process vanishing between two files: a missing
// /proc/PID/stat means "gone" (nullopt), while any other unreadable file
// (another user's exe link, a zombie's cmdline) leaves that field empty.
#include <proctree/linux/procfs.hpp>

#include "procfs_text.hpp"

#include <proctree/wire.h>

#include <dirent.h>
#include <fcntl.h>
#include <pwd.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <charconv>
#include <mutex>
#include <unordered_map>

namespace proctree::collect {

namespace {

constexpr std::uint64_t kNsPerSecond = 1'000'000'000ull;
// The kernel marks kernel threads with PF_KTHREAD in the flags of stat.
constexpr std::uint64_t kPfKthread = 0x00200000ull;

// User names are looked up once per uid: getpwuid_r can be slow (NSS).
class UserNames {
public:
    std::string lookup(std::uint32_t uid)
    {
        std::lock_guard lock(mutex_);
        auto it = names_.find(uid);
        if (it != names_.end()) return it->second;
        std::string name;
        struct passwd pw {};
        struct passwd* result = nullptr;
        std::array<char, 4096> buf{};
        if (getpwuid_r(uid, &pw, buf.data(), buf.size(), &result) == 0 && result && result->pw_name)
            name = result->pw_name;
        names_.emplace(uid, name);
        return name;
    }

private:
    std::mutex mutex_;
    std::unordered_map<std::uint32_t, std::string> names_;
};

UserNames& user_names()
{
    static UserNames names;
    return names;
}

}  // namespace

bool read_small_file(const std::string& path, std::string& out, std::size_t limit)
{
    out.clear();
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return false;
    char buf[4096];
    bool ok = true;
    while (out.size() < limit) {
        ssize_t n = ::read(fd, buf, std::min(sizeof buf, limit - out.size()));
        if (n < 0) {
            if (errno == EINTR) continue;
            ok = false;  // e.g. ESRCH: the process went away while we read
            break;
        }
        if (n == 0) break;
        out.append(buf, static_cast<std::size_t>(n));
    }
    ::close(fd);
    return ok;
}

std::optional<StatFields> parse_stat(std::string_view text)
{
    // "PID (comm) S PPID ...": comm may itself contain spaces and ')', so it
    // runs from the first '(' to the LAST ')'.
    std::size_t open = text.find('(');
    std::size_t close = text.rfind(')');
    if (open == std::string_view::npos || close == std::string_view::npos || close < open) return std::nullopt;
    StatFields f;
    f.comm = std::string(text.substr(open + 1, close - open - 1));
    // Fields after the comm, numbered as in proc(5): 3 = state, 4 = ppid,
    // 9 = flags, 14/15 = utime/stime, 20 = num_threads, 22 = starttime,
    // 24 = rss (pages), 48/49 = arg_start/arg_end.
    std::string_view rest = text.substr(close + 1);
    int field = 2;
    bool have_start = false;
    std::size_t i = 0;
    while (i < rest.size() && field < 49) {
        while (i < rest.size() && rest[i] == ' ') ++i;
        std::size_t j = i;
        while (j < rest.size() && rest[j] != ' ' && rest[j] != '\n') ++j;
        if (j == i) break;
        ++field;
        std::string_view tok = rest.substr(i, j - i);
        auto number = [&](auto& out) {
            return std::from_chars(tok.data(), tok.data() + tok.size(), out).ec == std::errc{};
        };
        switch (field) {
        case 3: f.state = tok.front(); break;
        case 4:
            if (!number(f.ppid)) return std::nullopt;
            break;
        case 9:
            if (!number(f.flags)) return std::nullopt;
            break;
        case 20:
            if (!number(f.threads)) return std::nullopt;
            break;
        case 14: number(f.utime_ticks); break;
        case 15: number(f.stime_ticks); break;
        case 22: have_start = number(f.start_ticks); break;
        case 24: number(f.rss_pages); break;
        case 48: number(f.arg_start); break;
        case 49: number(f.arg_end); break;
        default: break;
        }
        i = j;
    }
    if (!have_start) return std::nullopt;
    return f;
}

std::string join_cmdline(std::string_view raw)
{
    // argv is NUL-separated with a trailing NUL; a process that rewrote its
    // argv may leave runs of NULs: drop the trailing ones, join the rest.
    while (!raw.empty() && raw.back() == '\0') raw.remove_suffix(1);
    std::string out(raw);
    std::replace(out.begin(), out.end(), '\0', ' ');
    return out;
}

namespace {

// Counts the rest of an open cmdline file after `kept` bytes were read;
// returns the joined length of the whole (trailing NULs dropped), or 0 when
// the count ran past kCmdlineCountLimit or a read failed.
std::uint32_t count_rest(int fd, std::string_view kept)
{
    std::size_t total = kept.size();
    std::size_t joined = kept.find_last_not_of('\0') + 1;  // npos + 1 == 0
    std::array<char, 16384> buf;
    for (;;) {
        ssize_t n = ::read(fd, buf.data(), buf.size());
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return 0;
        if (n == 0) break;
        std::string_view chunk(buf.data(), static_cast<std::size_t>(n));
        if (std::size_t last = chunk.find_last_not_of('\0'); last != std::string_view::npos) joined = total + last + 1;
        total += chunk.size();
        if (total > kCmdlineCountLimit) return 0;
    }
    return static_cast<std::uint32_t>(joined);
}

}  // namespace

CmdlineText read_cmdline(const std::string& path)
{
    CmdlineText out;
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return out;
    // One byte past a record's string: enough to tell that it was cut.
    std::string raw(PT_MAX_STRING + 1, '\0');
    std::size_t have = 0;
    while (have < raw.size()) {
        ssize_t n = ::read(fd, raw.data() + have, raw.size() - have);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        have += static_cast<std::size_t>(n);
    }
    raw.resize(have);
    if (have > PT_MAX_STRING) {
        std::uint32_t whole = count_rest(fd, raw);
        if (whole > PT_MAX_STRING) out.whole = whole;
    }
    ::close(fd);
    out.text = join_cmdline(raw);
    return out;
}

std::optional<std::uint32_t> parse_status_uid(std::string_view status, std::optional<std::uint32_t>* tgid)
{
    std::optional<std::uint32_t> uid;
    std::size_t pos = 0;
    while (pos < status.size()) {
        std::size_t end = status.find('\n', pos);
        if (end == std::string_view::npos) end = status.size();
        std::string_view line = status.substr(pos, end - pos);
        auto value_of = [&](std::string_view key, std::uint32_t& out) {
            if (!line.starts_with(key)) return false;
            std::string_view v = line.substr(key.size());
            while (!v.empty() && (v.front() == ' ' || v.front() == '\t')) v.remove_prefix(1);
            return std::from_chars(v.data(), v.data() + v.size(), out).ec == std::errc{};
        };
        std::uint32_t value = 0;
        if (tgid && value_of("Tgid:", value)) *tgid = value;
        // "Uid: real effective saved fs": like ps, show the effective user.
        if (line.starts_with("Uid:")) {
            std::string_view v = line.substr(4);
            for (int k = 0; k < 2; ++k) {
                while (!v.empty() && (v.front() == ' ' || v.front() == '\t')) v.remove_prefix(1);
                auto r = std::from_chars(v.data(), v.data() + v.size(), value);
                if (r.ec != std::errc{}) break;
                v = std::string_view(r.ptr, static_cast<std::size_t>(v.data() + v.size() - r.ptr));
                if (k == 1) uid = value;
            }
        }
        pos = end + 1;
    }
    return uid;
}

std::string user_name(std::uint32_t uid)
{
    if (uid == PT_UID_UNKNOWN) return {};
    return user_names().lookup(uid);
}

ProcFs::ProcFs(std::string root) : root_(std::move(root))
{
    long tck = ::sysconf(_SC_CLK_TCK);
    if (tck > 0) ticks_per_second_ = static_cast<std::uint64_t>(tck);
    std::string stat;
    if (read_small_file(root_ + "/stat", stat, 1 << 20)) {
        std::size_t pos = stat.find("\nbtime ");
        if (pos != std::string::npos) {
            std::uint64_t btime = 0;
            const char* b = stat.data() + pos + 7;
            if (std::from_chars(b, stat.data() + stat.size(), btime).ec == std::errc{})
                boot_time_ns_ = btime * kNsPerSecond;
        }
    }
}

std::uint64_t ProcFs::start_ns_from_ticks(std::uint64_t ticks) const
{
    // Split so that ticks * 1e9 cannot overflow after a long uptime.
    return boot_time_ns_ + (ticks / ticks_per_second_) * kNsPerSecond +
           (ticks % ticks_per_second_) * kNsPerSecond / ticks_per_second_;
}

std::optional<std::uint64_t> ProcFs::start_ns(std::uint32_t pid) const
{
    auto l = lineage(pid);
    if (!l) return std::nullopt;
    return l->start_ns;
}

std::optional<ProcFs::Lineage> ProcFs::lineage(std::uint32_t pid) const
{
    std::string text;
    if (!read_small_file(root_ + "/" + std::to_string(pid) + "/stat", text, 4096)) return std::nullopt;
    auto f = parse_stat(text);
    if (!f) return std::nullopt;
    return Lineage{start_ns_from_ticks(f->start_ticks), f->ppid};
}

std::optional<ProcInfo> ProcFs::read(std::uint32_t pid) const
{
    const std::string dir = root_ + "/" + std::to_string(pid);
    std::string text;
    if (!read_small_file(dir + "/stat", text, 4096)) return std::nullopt;
    auto f = parse_stat(text);
    if (!f) return std::nullopt;

    ProcInfo info;
    info.pid = pid;
    info.ppid = f->ppid;
    info.start_ns = start_ns_from_ticks(f->start_ticks);
    info.threads = f->threads > 0 ? f->threads : 1;
    info.kernel_thread = (f->flags & kPfKthread) != 0;
    info.state = f->state;
    info.name = std::move(f->comm);

    if (read_small_file(dir + "/status", text, 1 << 16)) {
        std::optional<std::uint32_t> tgid;
        if (auto uid = parse_status_uid(text, &tgid)) info.uid = *uid;
        // /proc/TID of a non-leader thread exists (hidden from readdir): not a process.
        if (tgid && *tgid != pid) return std::nullopt;
    }
    info.user = user_name(info.uid);
    if (!info.kernel_thread) {
        info.exe = read_exe_link(dir);
        CmdlineText cmd = read_cmdline(dir + "/cmdline");
        info.cmdline = std::move(cmd.text);
        info.cmdline_whole = cmd.whole;
    }
    return info;
}

std::string read_exe_link(const std::string& proc_dir)
{
    std::array<char, 4096> buf{};
    ssize_t n = ::readlink((proc_dir + "/exe").c_str(), buf.data(), buf.size());
    if (n <= 0) return {};  // EACCES (other user), ENOENT (zombie, kthread)
    return std::string(buf.data(), static_cast<std::size_t>(n));
}

std::vector<ProcInfo> ProcFs::scan(const std::function<void(std::uint32_t pid)>& before_read) const
{
    std::vector<ProcInfo> found;
    DIR* dir = ::opendir(root_.c_str());
    if (!dir) return found;
    while (struct dirent* e = ::readdir(dir)) {
        std::uint32_t pid = 0;
        std::string_view name(e->d_name);
        auto r = std::from_chars(name.data(), name.data() + name.size(), pid);
        if (r.ec != std::errc{} || r.ptr != name.data() + name.size() || pid == 0) continue;
        if (before_read) before_read(pid);
        if (auto info = read(pid); info && info->state != 'Z' && info->state != 'X') found.push_back(std::move(*info));
    }
    ::closedir(dir);
    return order_parents_first(std::move(found));
}

std::vector<ProcInfo> order_parents_first(std::vector<ProcInfo> procs)
{
    // Creation order approximates "parents first"; the explicit walk below
    // fixes the rest (same-tick starts, wrapped pids).
    std::sort(procs.begin(), procs.end(), [](const ProcInfo& a, const ProcInfo& b) {
        return a.start_ns != b.start_ns ? a.start_ns < b.start_ns : a.pid < b.pid;
    });
    std::unordered_map<std::uint32_t, std::size_t> index;
    for (std::size_t i = 0; i < procs.size(); ++i) index.emplace(procs[i].pid, i);
    std::vector<char> placed(procs.size(), 0);
    std::vector<ProcInfo> out;
    out.reserve(procs.size());
    std::vector<std::size_t> chain;
    for (std::size_t i = 0; i < procs.size(); ++i) {
        // Collect the not-yet-placed ancestors of i; the depth bound stops a
        // (corrupt) ppid cycle.
        chain.clear();
        std::size_t cur = i;
        for (std::size_t depth = 0; !placed[cur] && depth <= procs.size(); ++depth) {
            chain.push_back(cur);
            auto it = index.find(procs[cur].ppid);
            if (it == index.end() || procs[cur].ppid == procs[cur].pid) break;
            cur = it->second;
        }
        for (auto it = chain.rbegin(); it != chain.rend(); ++it) {
            if (placed[*it]) continue;
            placed[*it] = 1;
            out.push_back(std::move(procs[*it]));
        }
    }
    return out;
}

}  // namespace proctree::collect
