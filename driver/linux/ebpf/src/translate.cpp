// Ring-buffer events -> wire records (see translate.hpp).
#include "translate.hpp"

#include "pt_bpf_event.h"

#include <cstring>

namespace proctree::collect::ebpf {

namespace {
constexpr std::uint64_t kNsPerSec = 1'000'000'000ull;

std::string_view comm_of(const char (&comm)[PT_BPF_COMM_LEN])
{
    return std::string_view(comm, strnlen(comm, PT_BPF_COMM_LEN));
}

// Drops an incomplete UTF-8 sequence at the end of s (after a byte cut).
void drop_partial_utf8(std::string& s)
{
    std::size_t n = s.size();
    std::size_t i = n;
    while (i > 0 && n - i < 4 && (static_cast<unsigned char>(s[i - 1]) & 0xC0u) == 0x80u) --i;
    if (i == 0) return;
    unsigned char lead = static_cast<unsigned char>(s[i - 1]);
    std::size_t need = lead >= 0xF0u ? 4 : lead >= 0xE0u ? 3 : lead >= 0xC0u ? 2 : 1;
    if (need > 1 && n - (i - 1) < need) s.resize(i - 1);
}
}  // namespace

std::uint64_t Clocks::start_ns(std::uint64_t start_boottime_ns) const
{
    std::uint64_t tps = ticks_per_second ? ticks_per_second : 100;
    std::uint64_t ticks = start_boottime_ns / (kNsPerSec / tps);
    if (from_ticks) return from_ticks(ticks);
    return btime_ns + ticks * kNsPerSec / tps;
}

std::uint64_t Clocks::wall_ns(std::uint64_t boottime_ns) const
{
    return static_cast<std::uint64_t>(static_cast<std::int64_t>(boottime_ns) + boottime_to_wall_ns);
}

ExitStatus decode_wait_status(std::int32_t status)
{
    ExitStatus r;
    std::uint32_t s = static_cast<std::uint32_t>(status);
    std::uint32_t sig = s & 0x7Fu;
    if (sig != 0) {
        r.signal = static_cast<std::uint16_t>(sig);
        r.code = 128 + static_cast<std::int32_t>(sig);
        r.flags = PT_EXIT_SIGNALED;
        if (s & 0x80u) r.flags |= PT_EXIT_CORE_DUMPED;
    } else {
        r.code = static_cast<std::int32_t>((s >> 8) & 0xFFu);
    }
    return r;
}

std::string join_path(std::string_view leaf_first, bool complete)
{
    // Split into components (each ends with NUL; a missing final NUL means the
    // last one was cut), then lay them out root first.
    std::string_view parts[PT_BPF_PATH_DEPTH + 1];
    std::size_t count = 0;
    while (!leaf_first.empty() && count < PT_BPF_PATH_DEPTH + 1) {
        std::size_t nul = leaf_first.find('\0');
        std::string_view part = leaf_first.substr(0, nul);
        if (!part.empty()) parts[count++] = part;
        if (nul == std::string_view::npos) break;
        leaf_first.remove_prefix(nul + 1);
    }
    if (count == 0) return complete ? std::string(1, '/') : std::string();
    std::string path;
    for (std::size_t i = count; i-- > 0;) {
        if (complete || i + 1 != count) path += '/';
        path.append(parts[i]);
    }
    return path;
}

std::string join_argv(std::string_view raw, bool truncated)
{
    // As ProcFs joins /proc/PID/cmdline: trailing NULs dropped, the others
    // become spaces.
    while (!raw.empty() && raw.back() == '\0') raw.remove_suffix(1);
    std::string s(raw);
    for (char& c : s)
        if (c == '\0') c = ' ';
    if (truncated) drop_partial_utf8(s);
    return s;
}

Translator::Translator(WireWriter& out, Clocks clocks, UserName user_name)
    : out_(out), clocks_(std::move(clocks)), user_name_(std::move(user_name))
{}

void Translator::announced(std::uint32_t pid, std::uint64_t start_ns) { announced_.insert(pt_ident{pid, 0, start_ns}); }

const std::string& Translator::user(std::uint32_t uid)
{
    auto it = users_.find(uid);
    if (it == users_.end()) it = users_.emplace(uid, user_name_ ? user_name_(uid) : std::string()).first;
    return it->second;
}

bool Translator::handle(const void* data, std::size_t size)
{
    pt_bpf_hdr h;
    if (size < sizeof h) {
        ++malformed_;
        return true;
    }
    std::memcpy(&h, data, sizeof h);
    if (h.size != size) {
        ++malformed_;
        return true;
    }
    switch (h.type) {
    case PT_BPF_EV_FORK:
    case PT_BPF_EV_EXEC: {
        if (size < PT_BPF_PROC_FIXED || size > sizeof(pt_bpf_proc)) break;
        // Copy: ring-buffer memory is only 8-byte aligned and the struct is
        // large, so copy the fixed part and point at the data in place.
        static thread_local pt_bpf_proc e;
        std::memcpy(&e, data, size);
        return on_proc(e, size);
    }
    case PT_BPF_EV_RENAME: {
        if (size != sizeof(pt_bpf_rename)) break;
        pt_bpf_rename e;
        std::memcpy(&e, data, sizeof e);
        pt_ident proc{e.pid, 0, clocks_.start_ns(e.start_boottime)};
        return out_.rename(clocks_.wall_ns(e.h.time_ns), proc, comm_of(e.comm));
    }
    case PT_BPF_EV_EXIT: {
        if (size != sizeof(pt_bpf_exit)) break;
        pt_bpf_exit e;
        std::memcpy(&e, data, sizeof e);
        return on_exit(e);
    }
    case PT_BPF_EV_THREAD:
    case PT_BPF_EV_THREAD_EXIT: {
        if (size != sizeof(pt_bpf_task)) break;
        pt_bpf_task e;
        std::memcpy(&e, data, sizeof e);
        return on_task(e);
    }
    default: break;
    }
    ++malformed_;
    return true;
}

static_assert(PT_BPF_ARGS_MAX == PT_MAX_STRING, "the kernel reads as much argv as a record carries");

namespace {

// The joined command line's whole length when the kernel read only part of
// argv: the area less its final NUL (argv as exec laid it out ends in one).
std::uint32_t whole_cmdline_len(const pt_bpf_proc& e)
{
    if (!(e.flags & PT_BPF_F_ARGS_TRUNCATED) || e.args_area_len == 0) return 0;
    return e.args_area_len - 1;
}

}  // namespace

bool Translator::on_proc(const pt_bpf_proc& e, std::size_t size)
{
    std::size_t avail = size - PT_BPF_PROC_FIXED;
    if (static_cast<std::size_t>(e.path_len) + e.args_len > avail) {
        ++malformed_;
        return true;
    }
    pt_ident proc{e.pid, 0, clocks_.start_ns(e.start_boottime)};
    if (e.h.type == PT_BPF_EV_FORK && announced_.erase(proc) != 0) {
        ++duplicates_;  // the snapshot already described it
        return true;
    }
    std::string_view name = comm_of(e.comm);
    std::string image;
    if (!(e.flags & PT_BPF_F_NO_PATH))
        image = join_path(std::string_view(e.data, e.path_len), !(e.flags & PT_BPF_F_PATH_TRUNCATED));
    std::string cmdline;
    if (!(e.flags & PT_BPF_F_NO_ARGS))
        cmdline = join_argv(std::string_view(e.data + e.path_len, e.args_len), e.flags & PT_BPF_F_ARGS_TRUNCATED);
    std::uint32_t flags = 0;
    if (e.flags & PT_BPF_F_KTHREAD) flags |= PT_PROC_KERNEL_THREAD;
    if (e.flags & PT_BPF_F_PATH_TRUNCATED) flags |= PT_PROC_IMAGE_TRUNCATED;
    if (e.flags & PT_BPF_F_ARGS_TRUNCATED) flags |= PT_PROC_CMDLINE_TRUNCATED;
    if (name.empty()) flags |= PT_PROC_NAME_UNKNOWN;
    const std::string& uname = user(e.uid);
    std::uint64_t t = clocks_.wall_ns(e.h.time_ns);

    if (e.h.type == PT_BPF_EV_FORK) {
        pt_create_args a{};
        a.proc = proc;
        a.parent = pt_ident{e.ppid, 0, e.ppid ? clocks_.start_ns(e.parent_start_boottime) : 0};
        a.creator_pid = e.creator_pid;
        a.creator_tid = e.creator_tid;
        a.uid = e.uid;
        a.flags = flags;
        a.threads = 1;
        a.name = to_pt_str(name);
        a.user = to_pt_str(uname);
        a.image = to_pt_str(image);
        a.cmdline = to_pt_str(cmdline);
        a.full.cmdline = whole_cmdline_len(e);
        return out_.create(t, a);
    }
    pt_exec_args a{};
    a.proc = proc;
    a.uid = e.uid;
    a.flags = flags;
    a.name = to_pt_str(name);
    a.user = to_pt_str(uname);
    a.image = to_pt_str(image);
    a.cmdline = to_pt_str(cmdline);
    a.full.cmdline = whole_cmdline_len(e);
    return out_.exec(t, a);
}

bool Translator::on_exit(const pt_bpf_exit& e)
{
    pt_ident proc{e.t.pid, 0, clocks_.start_ns(e.t.start_boottime)};
    announced_.erase(proc);
    ExitStatus st = decode_wait_status(e.t.exit_code);
    // The kernel knows both figures for every process it ends.
    pt_exit_usage usage{e.cpu_ns, e.peak_rss_bytes, PT_EXIT_CPU_KNOWN | PT_EXIT_RSS_KNOWN};
    return out_.exit(clocks_.wall_ns(e.t.h.time_ns), proc, st.code, st.signal, st.flags, &usage);
}

bool Translator::on_task(const pt_bpf_task& e)
{
    pt_ident proc{e.pid, 0, clocks_.start_ns(e.start_boottime)};
    std::uint64_t t = clocks_.wall_ns(e.h.time_ns);
    if (e.h.type == PT_BPF_EV_THREAD) return out_.thread(t, PT_REC_THREAD_CREATE, proc, e.tid, 0);
    return out_.thread(t, PT_REC_THREAD_EXIT, proc, e.tid, decode_wait_status(e.exit_code).code);
}

}  // namespace proctree::collect::ebpf
