// The viewer's screen stalls during a real fork storm: the UI thread (this
// test: it simply stops pumping, as a UI stuck painting to a slow terminal
// would) takes nothing for a while. Memory must stay flat (the channel's
// bound, the process's RSS), the loss must be reported, and once the UI
// pumps again the tree must converge on what /proc says.
#include "viewer/session.hpp"

#include <gtest/gtest.h>

#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <functional>
#include <set>
#include <string>
#include <vector>

extern char** environ;

using namespace proctree;

namespace {

using Clock = std::chrono::steady_clock;
constexpr auto kDeadline = std::chrono::seconds(120);  // generous: other builds share the CPUs

pid_t spawn(const std::vector<std::string>& argv)
{
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    pid_t pid = -1;
    if (posix_spawnp(&pid, args[0], nullptr, nullptr, args.data(), environ) != 0) return -1;
    return pid;
}

int reap(pid_t pid)
{
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {}
    return status;
}

std::size_t rss_bytes()
{
    std::ifstream in("/proc/self/status");
    for (std::string line; std::getline(in, line);)
        if (line.rfind("VmRSS:", 0) == 0) return std::stoull(line.substr(6)) * 1024;
    return 0;
}

bool alive_in_tree(const viewer::Session& s, pid_t pid)
{
    const model::Process* p = s.tree().find_pid(static_cast<std::uint32_t>(pid));
    return p && !p->exited;
}

// The living processes the tree places under this test process.
std::set<std::uint32_t> living_descendants(const model::ProcessTree& tree, std::uint32_t me)
{
    std::set<std::uint32_t> out;
    std::function<void(const model::Process*)> walk = [&](const model::Process* p) {
        for (; p; p = p->next_sibling()) {
            if (!p->exited) out.insert(p->id.pid);
            walk(p->first_child());
        }
    };
    if (const model::Process* self = tree.find_pid(me)) walk(self->first_child());
    return out;
}

std::string describe(const std::set<std::uint32_t>& pids)
{
    std::string out = "{";
    for (std::uint32_t p : pids) out += (out.size() > 1 ? " " : "") + std::to_string(p);
    return out + "}";
}

// Pumps (as the UI loop does) until done() or the deadline.
bool pump_until(viewer::Session& s, const std::function<bool()>& done)
{
    auto deadline = Clock::now() + kDeadline;
    while (Clock::now() < deadline) {
        s.pump(viewer::steady_ns_now());
        if (done()) return true;
        pollfd p{s.channel_fd(), POLLIN, 0};
        ::poll(&p, 1, 50);
    }
    return false;
}

void stall_during_a_storm(collect::SourceKind kind)
{
    if (::geteuid() != 0) GTEST_SKIP() << "needs root (a kernel event source)";
    constexpr std::size_t kBound = 512u << 10;
    viewer::ViewerOptions opts;
    opts.source = kind;
    opts.channel_bytes = kBound;
    opts.image_facts = false;
    viewer::Session s(opts);
    std::string error;
    ASSERT_TRUE(s.start(error)) << error;
    ASSERT_TRUE(pump_until(s, [&] { return s.has_content(); })) << "no initial snapshot";

    // Lives before the stall and is killed during it: its exit is among
    // what the channel drops, so only the resync can end it in the tree.
    pid_t doomed = spawn({"sleep", "600"});
    ASSERT_GT(doomed, 0);
    if (!pump_until(s, [&] { return alive_in_tree(s, doomed); })) {
        ::kill(doomed, SIGKILL);
        reap(doomed);
        FAIL() << "the process started before the stall never showed";
    }
    [[maybe_unused]] const std::size_t rss_before = rss_bytes();

    // The stall: nothing is pumped from here. Two loops of short-lived
    // processes with long command lines (about 8 KiB of records each).
    const std::string big(4000, 'x');
    std::vector<pid_t> storm;
    for (int i = 0; i < 2; ++i)
        storm.push_back(spawn({"bash", "-c", "for i in $(seq 3000); do /bin/true \"$0\"; done", big}));
    pid_t survivor = spawn({"sleep", "600"});  // born during the stall, its create dropped
    struct Reaper {                            // on failure too: a later test in this process must not see it
        pid_t pid;
        ~Reaper()
        {
            if (pid <= 0) return;
            ::kill(pid, SIGKILL);
            reap(pid);
        }
    } reaper{survivor};
    ::kill(doomed, SIGKILL);
    reap(doomed);
    std::size_t rss_most = rss_bytes();
    for (pid_t b : storm) {
        if (b <= 0) {
            ADD_FAILURE() << "could not start the storm";
            continue;
        }
        int st = reap(b);
        EXPECT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 0);
        rss_most = std::max(rss_most, rss_bytes());
    }
    auto stalled = s.channel_stats();
    // Memory stayed flat: the storm's records went far past the bound, and
    // what was kept did not.
    constexpr std::size_t kRssAllowance = 16u << 20;
    EXPECT_GT(stalled.dropped_bytes, 2 * kRssAllowance) << "the storm must outweigh the RSS allowance";
    EXPECT_LE(stalled.most_pending, kBound + s.tree().size() * 1024) << "beyond the bound (plus one snapshot)";
#if !defined(__SANITIZE_ADDRESS__) && !defined(__SANITIZE_THREAD__)
    // (The sanitizers keep freed memory in quarantine: RSS means little there.)
    EXPECT_LT(rss_most - std::min(rss_most, rss_before), kRssAllowance)
        << "RSS grew with the storm: " << rss_before << " -> " << rss_most << " B";
#endif

    // The UI pumps again: events lost are reported and the tree converges.
    const auto me = static_cast<std::uint32_t>(::getpid());
    ASSERT_TRUE(pump_until(s,
                           [&] {
                               return !alive_in_tree(s, doomed) && alive_in_tree(s, survivor) &&
                                      living_descendants(s.tree(), me) ==
                                          std::set<std::uint32_t>{static_cast<std::uint32_t>(survivor)};
                           }))
        << "the tree did not converge: doomed alive " << alive_in_tree(s, doomed) << ", survivor alive "
        << alive_in_tree(s, survivor) << ", living descendants " << describe(living_descendants(s.tree(), me))
        << " (survivor " << survivor << "), lost reported " << s.tree().stats().events_lost << ", resyncs asked "
        << s.channel_stats().resyncs_asked;
    EXPECT_GT(s.tree().stats().events_lost, 0u);
    EXPECT_GE(s.channel_stats().resyncs_asked, 1u);
}

TEST(ViewerStall, NetlinkSourceDropsResyncsAndConverges) { stall_during_a_storm(collect::SourceKind::Netlink); }
TEST(ViewerStall, EbpfSourceDropsResyncsAndConverges) { stall_during_a_storm(collect::SourceKind::Ebpf); }

}  // namespace
