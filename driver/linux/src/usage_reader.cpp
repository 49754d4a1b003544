// UsageReader over /proc/PID/stat: the identity check (start time), CPU
// time from utime + stime, RSS from the resident pages.
#include <proctree/linux/usage_reader.hpp>

#include <proctree/linux/procfs.hpp>

#include "procfs_text.hpp"

#include <unistd.h>

namespace proctree::collect {

namespace {

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
