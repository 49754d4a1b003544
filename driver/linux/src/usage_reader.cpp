// UsageReader over /proc/PID/stat: the identity check (start time), CPU
// time from utime + stime, RSS from the resident pages; and the whole
// /proc/PID/cmdline, read through the directory of the process checked.
#include <proctree/linux/usage_reader.hpp>

#include <proctree/linux/procfs.hpp>

#include "procfs_text.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>

namespace proctree::collect {

namespace {

// The kernel bounds argv by a quarter of the stack limit; past this, the
// record's cut text is shown instead.
constexpr std::size_t kWholeCmdlineLimit = 16u << 20;

// All of file `name` in directory `dir` up to limit bytes; false when it
// cannot be opened or read, or is longer than limit.
bool read_at(int dir, const char* name, std::string& out, std::size_t limit)
{
    int fd = ::openat(dir, name, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return false;
    out.clear();
    char buf[65536];
    ssize_t n = 0;
    while ((n = ::read(fd, buf, sizeof buf)) != 0) {
        if (n < 0 && errno == EINTR) continue;
        if (n < 0 || out.size() + static_cast<std::size_t>(n) > limit) break;
        out.append(buf, static_cast<std::size_t>(n));
    }
    ::close(fd);
    return n == 0;
}

class ProcUsageReader final : public UsageReader {
public:
    explicit ProcUsageReader(std::string root) : procfs_(std::move(root))
    {
        long page = ::sysconf(_SC_PAGESIZE);
        page_bytes_ = page > 0 ? static_cast<std::uint64_t>(page) : 4096;
    }

    std::optional<UsageReading> read(std::uint32_t pid, std::uint64_t start_ns) override
    {
        path_ = procfs_.root();
        path_ += '/';
        path_ += std::to_string(pid);
        path_ += "/stat";
        if (!read_small_file(path_, text_, 4096)) return std::nullopt;
        auto f = parse_stat(text_);
        if (!f || procfs_.start_ns_from_ticks(f->start_ticks) != start_ns) return std::nullopt;
        UsageReading r;
        std::uint64_t tps = procfs_.ticks_per_second();
        std::uint64_t ticks = f->utime_ticks + f->stime_ticks;
        r.cpu_ns = ticks / tps * 1'000'000'000ull + ticks % tps * 1'000'000'000ull / tps;
        if (f->rss_pages >= 0) r.rss_bytes = static_cast<std::uint64_t>(f->rss_pages) * page_bytes_;
        // t (tracing stop) shows as T, as htop and ps group them; X is Z.
        switch (f->state) {
        case 'R':
        case 'S':
        case 'D':
        case 'Z':
        case 'T': r.state = f->state; break;
        case 't': r.state = 'T'; break;
        case 'X': r.state = 'Z'; break;
        case 'I': r.state = 'S'; break;  // an idle kernel thread sleeps
        default: r.state = 0; break;
        }
        r.threads = f->threads;
        return r;
    }

    // A directory fd of /proc/PID stays bound to the process it was opened
    // for: once that one is gone, files read through it fail instead of
    // showing a successor that took the pid. So the start time checked in
    // its stat is the identity of the command line read after it.
    std::optional<std::string> read_cmdline(std::uint32_t pid, std::uint64_t start_ns) override
    {
        std::string dir = procfs_.root() + '/' + std::to_string(pid);
        int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dfd < 0) return std::nullopt;
        std::optional<std::string> whole;
        std::string raw;
        if (read_at(dfd, "stat", raw, 4096)) {
            auto f = parse_stat(raw);
            if (f && procfs_.start_ns_from_ticks(f->start_ticks) == start_ns &&
                read_at(dfd, "cmdline", raw, kWholeCmdlineLimit))
                whole = join_cmdline(raw);
        }
        ::close(dfd);
        return whole;
    }

private:
    ProcFs procfs_;
    std::uint64_t page_bytes_;
    std::string path_;  // reused: no allocation per read
    std::string text_;
};

}  // namespace

std::unique_ptr<UsageReader> make_proc_usage_reader(std::string proc_root)
{
    return std::make_unique<ProcUsageReader>(std::move(proc_root));
}

}  // namespace proctree::collect
