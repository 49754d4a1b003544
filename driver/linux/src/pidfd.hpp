// Internal: handles on processes rather than pids, for the poll source.
//
// A pidfd (pidfd_open(2)) names one process: it reports that process's exit
// whatever holds its pid afterwards, which a (pid, start tick) pair cannot
// when the pid is reused within one clock tick. ProcessHandles is the seam
// the tracker uses (tests give it a fake); Pidfds is the kernel's.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>
#include <utility>

namespace proctree::collect {

class ProcessHandles {
public:
    virtual ~ProcessHandles() = default;
    // False when the kernel has none (ENOSYS): the caller keeps to pids.
    virtual bool supported() const = 0;
    // A handle on the process that holds pid now, or -errno (ESRCH: none;
    // EMFILE/ENFILE: out of descriptors).
    virtual int open(std::uint32_t pid) = 0;
    // Whether that process has exited (a zombie has; the pid may be held by
    // another process by now).
    virtual bool exited(int handle) = 0;
    // Its wait status once it has exited and been reaped, when the kernel
    // says (Linux 6.15+); nullopt otherwise.
    virtual std::optional<int> wait_status(int handle) = 0;
    // False once wait_status found the kernel cannot say (before 6.15).
    virtual bool tells_status() const = 0;
    virtual void close(int handle) = 0;
};

class Pidfds final : public ProcessHandles {
public:
    // Keeps a quarter of the open-file limit (at most 1024) for everything
    // else the process opens, /proc files first: beyond that, open says
    // EMFILE without asking the kernel.
    Pidfds();
    ~Pidfds() override;  // the owners of handles close those
    Pidfds(const Pidfds&) = delete;
    Pidfds& operator=(const Pidfds&) = delete;

    bool supported() const override { return supported_; }
    int open(std::uint32_t pid) override;
    bool exited(int handle) override;
    std::optional<int> wait_status(int handle) override;
    bool tells_status() const override { return tells_status_; }
    void close(int handle) override;

    std::uint64_t held() const { return held_; }
    // Waits up to timeout_ms for processes to exit; returns those that did
    // (pid, handle), each once: the wait in between scans.
    std::vector<std::pair<std::uint32_t, int>> wait_for_exits(int timeout_ms);

private:
    int epoll_ = -1;  // every handle, until it reports its exit
    bool supported_ = true;
    bool tells_status_ = true;
    std::uint64_t held_ = 0;
    std::uint64_t budget_ = 0;
};

// One handle held for one process, closed with it.
class HeldHandle {
public:
    HeldHandle() = default;
    HeldHandle(ProcessHandles* owner, int handle) : owner_(owner), handle_(handle) {}
    HeldHandle(HeldHandle&& o) noexcept : owner_(o.owner_), handle_(std::exchange(o.handle_, -1)) {}
    HeldHandle& operator=(HeldHandle&& o) noexcept
    {
        if (this != &o) {
            reset();
            owner_ = o.owner_;
            handle_ = std::exchange(o.handle_, -1);
        }
        return *this;
    }
    ~HeldHandle() { reset(); }

    explicit operator bool() const { return handle_ >= 0; }
    int get() const { return handle_; }
    bool exited() const { return handle_ >= 0 && owner_->exited(handle_); }
    std::optional<int> wait_status() const { return handle_ >= 0 ? owner_->wait_status(handle_) : std::nullopt; }
    void reset()
    {
        if (handle_ >= 0) owner_->close(handle_);
        handle_ = -1;
    }

private:
    ProcessHandles* owner_ = nullptr;
    int handle_ = -1;
};

// pidfd_open takes pids of this process's pid namespace: whether the /proc
// at proc_root lists that one (its "self" is this process's pid). Another
// namespace's /proc (a container's, or one not remounted after unshare)
// would have the handles name other processes, or none.
bool proc_shows_our_pids(const std::string& proc_root);

// Raises the soft limit on open files to the hard one (a pidfd per process
// adds up); returns the soft limit now.
std::uint64_t raise_open_file_limit();

}  // namespace proctree::collect
