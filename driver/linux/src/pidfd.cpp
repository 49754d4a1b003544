// Pidfds: pidfd_open(2), poll(2) and PIDFD_GET_INFO (see pidfd.hpp).
#include "pidfd.hpp"

#include <poll.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

namespace proctree::collect {

namespace {

// PIDFD_GET_INFO (Linux 6.15, <linux/pidfd.h>): Debian 12's kernel headers
// predate it. The struct is versioned by its size; this is version 0.
struct PidfdInfo {
    std::uint64_t mask;
    std::uint64_t cgroupid;
    std::uint32_t pid, tgid, ppid, ruid, rgid, euid, egid, suid, sgid, fsuid, fsgid;
    std::int32_t exit_code;
};
static_assert(sizeof(PidfdInfo) == 64);
constexpr std::uint64_t kPidfdInfoExit = 1u << 3;
constexpr unsigned long kPidfdGetInfo = _IOWR(0xFF, 11, PidfdInfo);

std::uint64_t open_file_limit()
{
    struct rlimit lim {};
    if (::getrlimit(RLIMIT_NOFILE, &lim) != 0 || lim.rlim_cur == RLIM_INFINITY) return 1024;
    return lim.rlim_cur;
}

}  // namespace

bool proc_shows_our_pids(const std::string& proc_root)
{
    char buf[32];
    const ssize_t n = ::readlink((proc_root + "/self").c_str(), buf, sizeof buf);
    return n > 0 && std::string(buf, static_cast<std::size_t>(n)) == std::to_string(::getpid());
}

std::uint64_t raise_open_file_limit()
{
    struct rlimit lim {};
    if (::getrlimit(RLIMIT_NOFILE, &lim) == 0 && lim.rlim_cur < lim.rlim_max) {
        lim.rlim_cur = lim.rlim_max;
        ::setrlimit(RLIMIT_NOFILE, &lim);  // failing leaves the old limit: fewer pidfds
    }
    return open_file_limit();
}

Pidfds::Pidfds()
{
    const std::uint64_t limit = open_file_limit();
    budget_ = limit - std::min<std::uint64_t>(limit / 4, 1024);
    epoll_ = ::epoll_create1(EPOLL_CLOEXEC);  // none: wait_for_exits only sleeps
}

Pidfds::~Pidfds()
{
    if (epoll_ >= 0) ::close(epoll_);
}

int Pidfds::open(std::uint32_t pid)
{
    if (!supported_) return -ENOSYS;
    if (held_ >= budget_) return -EMFILE;
    long fd = ::syscall(SYS_pidfd_open, static_cast<pid_t>(pid), 0u);  // always close-on-exec
    if (fd < 0) {
        if (errno == ENOSYS) supported_ = false;
        return -errno;
    }
    ++held_;
    if (epoll_ >= 0) {
        // Once: an exited process's pidfd stays readable. Its close removes it.
        struct epoll_event ev {};
        ev.events = EPOLLIN | EPOLLONESHOT;
        ev.data.u64 = std::uint64_t{pid} << 32 | static_cast<std::uint32_t>(fd);
        ::epoll_ctl(epoll_, EPOLL_CTL_ADD, static_cast<int>(fd), &ev);
    }
    return static_cast<int>(fd);
}

bool Pidfds::exited(int handle)
{
    // A pidfd polls readable once its process has exited.
    struct pollfd p {
        handle, POLLIN, 0
    };
    int n;
    do n = ::poll(&p, 1, 0);
    while (n < 0 && errno == EINTR);
    return n > 0 && (p.revents & POLLIN) != 0;
}

std::optional<int> Pidfds::wait_status(int handle)
{
    PidfdInfo info{};
    info.mask = kPidfdInfoExit;
    if (::ioctl(handle, kPidfdGetInfo, &info) != 0) {
        if (errno == ENOTTY || errno == EINVAL) tells_status_ = false;  // an older kernel
        return std::nullopt;
    }
    if (!(info.mask & kPidfdInfoExit)) return std::nullopt;  // not exited, or not reaped yet
    return info.exit_code;
}

std::vector<std::pair<std::uint32_t, int>> Pidfds::wait_for_exits(int timeout_ms)
{
    std::vector<std::pair<std::uint32_t, int>> exited;
    if (epoll_ < 0) {
        ::poll(nullptr, 0, timeout_ms);
        return exited;
    }
    struct epoll_event events[256];
    const int n = ::epoll_wait(epoll_, events, 256, timeout_ms);
    for (int i = 0; i < n; ++i)
        exited.emplace_back(static_cast<std::uint32_t>(events[i].data.u64 >> 32),
                            static_cast<int>(events[i].data.u64 & 0xFFFFFFFFu));
    return exited;
}

void Pidfds::close(int handle)
{
    if (handle < 0) return;
    ::close(handle);
    --held_;
}

}  // namespace proctree::collect
