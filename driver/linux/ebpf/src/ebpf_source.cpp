// make_ebpf_source: the libbpf CO-RE collector (proctree.bpf.c + skeleton).
//
// Load and attach happen in make_ebpf_source, so a refusal (no privilege, no
// BTF, verifier) is reported before anything is written and `--source auto`
// can fall back. Nothing is pinned: every BPF object lives in this process's
// file descriptors, so exit, SIGINT, SIGTERM (and even SIGKILL) leave nothing
// behind; the destructor detaches and frees explicitly.
#include "translate.hpp"

#include "pt_bpf_event.h"

#include <proctree/ebpf/source.hpp>
#include <proctree/linux/clock.hpp>
#include <proctree/linux/parent_watch.hpp>
#include <proctree/linux/snapshot.hpp>

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

#if defined(__GNUC__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Woverlength-strings"
#pragma GCC diagnostic ignored "-Wpedantic"
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"
#endif
#include "proctree.skel.h"
#if defined(__GNUC__)
#pragma GCC diagnostic pop
#endif

#include <pwd.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

namespace proctree::collect {

namespace {

// The ring is sized for need, with loss + resync as the safety net: a
// fork+exec+exit is ~0.5 KiB, so 256 KiB per CPU holds ~10 ms of a storm
// of 50,000 processes/s per CPU between the reader's wake-ups (it is mapped
// twice, so this is also twice its share of the viewer's memory).
constexpr std::size_t kRingPerCpu = 256u * 1024u;
constexpr std::size_t kRingMax = 4u * 1024u * 1024u;
// The kernel wakes the reader when an eighth of the ring is waiting;
// otherwise the reader drains every kDrainMs. Fewer wakeups, less CPU in a
// storm; a quiet machine's events still arrive within kDrainMs.
constexpr std::size_t kWakeupShare = 8;
constexpr int kDrainMs = 20;
// With nothing arriving the interval doubles up to this, so an idle machine
// costs ~10 wake-ups/s instead of 50; the first event brings kDrainMs back.
// (It also bounds how long a stop request waits: Source::run's 100 ms.)
constexpr int kIdleDrainMs = 100;

// libbpf's messages: kept (not printed) so a failure can be explained in one
// line; PROCTREE_EBPF_DEBUG=1 prints them as they come.
thread_local std::string g_libbpf_log;

int libbpf_log(enum libbpf_print_level level, const char* fmt, va_list ap)
{
    static const bool debug = std::getenv("PROCTREE_EBPF_DEBUG") != nullptr;
    if (debug) return std::vfprintf(stderr, fmt, ap);
    if (level == LIBBPF_DEBUG) return 0;
    char line[512];
    int n = std::vsnprintf(line, sizeof line, fmt, ap);
    if (g_libbpf_log.size() < 64 * 1024) g_libbpf_log += line;
    return n;
}

std::string user_name(std::uint32_t uid)
{
    struct passwd pw;
    struct passwd* res = nullptr;
    std::vector<char> buf(4096);
    if (getpwuid_r(uid, &pw, buf.data(), buf.size(), &res) == 0 && res) return res->pw_name;
    return {};
}

// CLOCK_REALTIME - CLOCK_BOOTTIME, from the tightest of a few samples.
std::int64_t boottime_to_wall()
{
    std::int64_t best = 0;
    std::uint64_t best_gap = ~0ull;
    for (int i = 0; i < 5; ++i) {
        std::uint64_t b0 = clock_ns(CLOCK_BOOTTIME);
        std::uint64_t w = clock_ns(CLOCK_REALTIME);
        std::uint64_t b1 = clock_ns(CLOCK_BOOTTIME);
        if (b1 - b0 < best_gap) {
            best_gap = b1 - b0;
            best = static_cast<std::int64_t>(w) - static_cast<std::int64_t>(b0 + (b1 - b0) / 2);
        }
    }
    return best;
}

// Linux >= 6.16 passes group_dead to sched_process_exit; older kernels do not.
bool exit_tracepoint_has_group_dead()
{
    struct btf* vmlinux = btf__load_vmlinux_btf();
    if (!vmlinux) return false;
    bool two = false;
    std::int32_t id = btf__find_by_name_kind(vmlinux, "btf_trace_sched_process_exit", BTF_KIND_TYPEDEF);
    if (id > 0) {
        const struct btf_type* t = btf__type_by_id(vmlinux, static_cast<std::uint32_t>(id));
        while (t && (btf_is_typedef(t) || btf_is_ptr(t))) t = btf__type_by_id(vmlinux, t->type);
        if (t && btf_is_func_proto(t)) two = btf_vlen(t) >= 3;  // (void *, task, group_dead)
    }
    btf__free(vmlinux);
    return two;
}

std::size_t ring_size(int requested)
{
    if (requested <= 0) {
        if (const char* env = std::getenv("PROCTREE_EBPF_RINGBUF")) requested = std::atoi(env);
    }
    std::size_t want = static_cast<std::size_t>(requested);
    if (requested <= 0) {
        int ncpu = libbpf_num_possible_cpus();
        want = std::min(kRingMax, kRingPerCpu * static_cast<std::size_t>(ncpu > 0 ? ncpu : 1));
    }
    std::size_t page = static_cast<std::size_t>(sysconf(_SC_PAGESIZE));
    std::size_t n = page;  // a power of two, at least a page
    while (n < want && n < (1u << 30)) n <<= 1;
    return n;
}

// "pt_fork 1234, pt_exec 2345, ...": what the verifier walked per program
// (bpf_prog_info.verified_insns, Linux >= 5.16; 0 when the kernel does not say).
std::string verified_instructions(bpf_object* obj)
{
    std::string out;
    bpf_program* prog = nullptr;
    bpf_object__for_each_program(prog, obj)
    {
        int fd = bpf_program__fd(prog);
        if (fd < 0) continue;  // not loaded (the other exit variant)
        bpf_prog_info info{};
        std::uint32_t len = sizeof info;
        if (bpf_obj_get_info_by_fd(fd, &info, &len) != 0) continue;
        if (!out.empty()) out += ", ";
        out += bpf_program__name(prog);
        out += ' ';
        out += std::to_string(info.verified_insns);
    }
    return out;
}

std::string refusal(const char* step, int err)
{
    std::string why = "cannot ";
    why += step;
    why += ": ";
    why += std::strerror(err);
    if (err == EPERM || err == EACCES) {
        why += " (needs root, or CAP_BPF + CAP_PERFMON): run as root/sudo, or use --source netlink or poll";
    } else {
        why += " (set PROCTREE_EBPF_DEBUG=1 for libbpf's log); use --source netlink or poll";
    }
    return why;
}

// Passes bytes on; while a snapshot is written, tells the translator which
// identities it announced (one write is one whole record: WireWriter).
class SnapshotTap final : public ByteSink {
public:
    SnapshotTap(ByteSink& inner, ebpf::Translator*& translator) : inner_(inner), translator_(translator) {}
    bool collecting = false;

    bool write(const void* data, std::size_t len) override
    {
        if (collecting && translator_ && len >= sizeof(pt_process_create)) {
            pt_process_create r;
            std::memcpy(&r, data, sizeof r);
            if (r.h.type == PT_REC_PROCESS_CREATE) translator_->announced(r.proc.pid, r.proc.start_ns);
        }
        return inner_.write(data, len);
    }
    void flush() override { inner_.flush(); }

private:
    ByteSink& inner_;
    ebpf::Translator*& translator_;
};

class EbpfSource final : public Source {
public:
    EbpfSource(const SourceOptions& options, proctree_bpf* skel) : options_(options), skel_(skel) {}
    ~EbpfSource() override
    {
        if (rb_) ring_buffer__free(rb_);
        proctree_bpf::destroy(skel_);  // detaches every link, closes every map and program
    }

    pt_source kind() const override { return PT_SOURCE_EBPF; }
    bool resyncs_on_request() const override { return true; }
    int run(ByteSink& sink, const std::atomic<bool>& stop) override;

private:
    static int on_event(void* ctx, void* data, std::size_t size)
    {
        auto* self = static_cast<EbpfSource*>(ctx);
        if (self->translator_->handle(data, size)) return 0;
        self->sink_failed_ = true;
        return -1;
    }
    std::uint64_t lost_total() const;
    bool snapshot(WireWriter& out, SnapshotTap& tap, const ProcFs& procfs, std::uint32_t reason);
    void notice(const std::string& s) const
    {
        if (options_.notice) options_.notice(s);
    }

    SourceOptions options_;
    proctree_bpf* skel_;
    ring_buffer* rb_ = nullptr;
    ebpf::Translator* translator_ = nullptr;
    bool sink_failed_ = false;
};

std::uint64_t EbpfSource::lost_total() const
{
    // The BPF side adds atomically; a relaxed load of the mapped word is enough.
    return __atomic_load_n(&skel_->bss->lost_events, __ATOMIC_RELAXED);
}

bool EbpfSource::snapshot(WireWriter& out, SnapshotTap& tap, const ProcFs& procfs, std::uint32_t reason)
{
    translator_->begin_snapshot();
    tap.collecting = true;
    bool ok = write_proc_snapshot(out, procfs, reason, PT_SNAPSHOT_COMPLETE);
    tap.collecting = false;
    out.flush();
    return ok;
}

int EbpfSource::run(ByteSink& sink, const std::atomic<bool>& stop)
{
    ProcFs procfs;
    ebpf::Translator* slot = nullptr;
    SnapshotTap tap(sink, slot);
    // Exits come from sched_process_exit, just before the kernel re-parents
    // the children: their new parent is read from /proc after the event.
    ParentWatch parents(tap, procfs);
    WireWriter out(parents);

    ebpf::Clocks clocks;
    clocks.btime_ns = procfs.boot_time_ns();
    long tck = sysconf(_SC_CLK_TCK);
    clocks.ticks_per_second = tck > 0 ? static_cast<std::uint64_t>(tck) : 100;
    clocks.boottime_to_wall_ns = boottime_to_wall();
    clocks.from_ticks = [&procfs](std::uint64_t ticks) { return procfs.start_ns_from_ticks(ticks); };
    ebpf::Translator translator(out, clocks, user_name);
    translator_ = slot = &translator;
    struct Unset {
        ebpf::Translator*& p;
        ~Unset() { p = nullptr; }
    } unset{translator_};

    if (rb_) ring_buffer__free(rb_);
    rb_ = ring_buffer__new(bpf_map__fd(skel_->maps.events), &EbpfSource::on_event, this, nullptr);
    if (!rb_) {
        notice(refusal("open the ring buffer", errno));
        return 1;
    }
    if (!write_linux_stream_header(out, procfs, PT_SOURCE_EBPF)) return 1;
    // Attached before the scan: a process is either in the snapshot or in
    // the events that follow it (or both; the translator drops the repeat).
    std::uint64_t lost_seen = lost_total();
    if (!snapshot(out, tap, procfs, PT_SNAPSHOT_INITIAL)) return 1;

    std::uint64_t last_check = clock_ns(CLOCK_MONOTONIC);
    int drain_ms = kDrainMs;
    while (!stop.load(std::memory_order_relaxed)) {
        int n = ring_buffer__poll(rb_, drain_ms);
        if (n == 0) n = ring_buffer__consume(rb_);  // below the wakeup mark
        drain_ms = n > 0 ? kDrainMs : std::min(drain_ms * 2, kIdleDrainMs);
        if (sink_failed_) return 1;
        if (n < 0 && n != -EINTR) {
            notice(refusal("read the ring buffer", -n));
            return 1;
        }
        if (parents.pending() && !parents.follow(out)) return 1;
        std::uint64_t now = clock_ns(CLOCK_MONOTONIC);
        if (now - last_check >= 20'000'000ull) {
            last_check = now;
            std::uint64_t lost = lost_total();
            if (lost != lost_seen) {
                // Drain what did arrive, say how much did not, then resync.
                if (ring_buffer__consume(rb_) < 0 && sink_failed_) return 1;
                lost = lost_total();
                if (!out.events_lost(wall_clock_ns(), lost - lost_seen, PT_LOST_KERNEL_BUFFER)) return 1;
                notice("ebpf: ring buffer full, " + std::to_string(lost - lost_seen) +
                       " events lost; resyncing from /proc");
                lost_seen = lost;
                if (!snapshot(out, tap, procfs, PT_SNAPSHOT_RESYNC)) return 1;
            }
            if (std::uint64_t dropped = take_resync_request()) {
                // The output (the viewer) fell behind and dropped records.
                if (!out.events_lost(wall_clock_ns(), dropped, PT_LOST_QUEUE_FULL)) return 1;
                notice("ebpf: the output fell behind and dropped " + std::to_string(dropped) +
                       " records; resyncing from /proc");
                if (!snapshot(out, tap, procfs, PT_SNAPSHOT_RESYNC)) return 1;
            }
            out.flush();
        }
    }
    ring_buffer__consume(rb_);
    out.flush();
    return sink_failed_ ? 1 : 0;
}

}  // namespace

std::unique_ptr<Source> make_ebpf_source(const SourceOptions& options, std::string& why_not)
{
    libbpf_set_print(libbpf_log);
    g_libbpf_log.clear();
    if (access("/sys/kernel/btf/vmlinux", R_OK) != 0) {
        why_not = "this kernel has no BTF (/sys/kernel/btf/vmlinux; needs CONFIG_DEBUG_INFO_BTF=y): "
                  "use --source netlink or poll";
        return nullptr;
    }
    proctree_bpf* skel = proctree_bpf::open();
    if (!skel) {
        why_not = refusal("open the BPF object", errno);
        return nullptr;
    }
    bool group_dead = exit_tracepoint_has_group_dead();
    bpf_program__set_autoload(skel->progs.pt_exit_group_dead, group_dead);
    bpf_program__set_autoload(skel->progs.pt_exit_live, !group_dead);
    std::size_t ring = ring_size(options.receive_buffer);
    bpf_map__set_max_entries(skel->maps.events, static_cast<std::uint32_t>(ring));
    skel->rodata->wakeup_bytes = ring / kWakeupShare;
    skel->rodata->page_bytes = static_cast<std::uint64_t>(sysconf(_SC_PAGESIZE));

    int err = proctree_bpf::load(skel);
    if (err == 0) err = proctree_bpf::attach(skel);
    if (err != 0) {
        int e = err < 0 ? -err : err;
        why_not = refusal(
            g_libbpf_log.find("attach") != std::string::npos ? "attach the BPF programs" : "load the BPF programs", e);
        proctree_bpf::destroy(skel);
        return nullptr;
    }
    if (options.notice) {
        options.notice("ebpf: attached to sched_process_fork/exec/exit and task_rename (tp_btf), ring buffer " +
                       std::to_string(ring / 1024) +
                       " KiB; verified instructions: " + verified_instructions(skel->obj));
    }
    return std::make_unique<EbpfSource>(options, skel);
}

}  // namespace proctree::collect
