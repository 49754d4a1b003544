// Text and JSON exports of exactly what the view shows.
#include <proctree/model/escape.hpp>
#include <proctree/model/export.hpp>
#include <proctree/model/truncation.hpp>
#include <proctree/model/view.hpp>
#include <proctree/wire.h>

#include <fmt/core.h>

#include <array>
#include <chrono>

namespace proctree::model {

namespace {

constexpr std::array<const char*, 32> kSignalNames = {
    "",     "HUP",  "INT",  "QUIT", "ILL",    "TRAP",   "ABRT",  "BUS",  "FPE",  "KILL", "USR1",
    "SEGV", "USR2", "PIPE", "ALRM", "TERM",   "STKFLT", "CHLD",  "CONT", "STOP", "TSTP", "TTIN",
    "TTOU", "URG",  "XCPU", "XFSZ", "VTALRM", "PROF",   "WINCH", "IO",   "PWR",  "SYS"};

std::string_view state_tag(RowState s)
{
    switch (s) {
    case RowState::New: return "[+]";
    case RowState::Exiting:
    case RowState::Exited: return "[x]";
    case RowState::Context: return "[.]";
    case RowState::Normal: break;
    }
    return "";
}

std::string_view state_word(RowState s)
{
    switch (s) {
    case RowState::New: return "new";
    case RowState::Exiting:
    case RowState::Exited: return "exited";
    case RowState::Context: return "context";
    case RowState::Normal: break;
    }
    return "running";
}

std::string export_header_text(const ProcessTree& tree, const ExportInfo& info, std::size_t rows)
{
    std::string f = tree.filter().describe();
    return fmt::format("# proctree export\n# time: {}\n# host: {}\n# source: {}\n# filter: {}\n"
                       "# rows: {} shown of {} processes\n",
                       format_utc(info.time_ns), escape(info.host), escape(info.source), f.empty() ? "none" : escape(f),
                       rows, tree.size());
}

}  // namespace

std::string format_duration(std::uint64_t ns)
{
    if (ns < 1'000'000) return fmt::format("{} us", ns / 1000);
    if (ns < 1'000'000'000) return fmt::format("{} ms", ns / 1'000'000);
    if (ns < 60'000'000'000ull) return fmt::format("{:.1f} s", double(ns) / 1e9);
    if (ns < 3'600'000'000'000ull) return fmt::format("{} min", ns / 60'000'000'000ull);
    return fmt::format("{:.1f} h", double(ns) / 3.6e12);
}

std::uint64_t process_lifetime_ns(const Process& p)
{
    if (!p.exited) return 0;
    std::uint64_t born = p.birth_seen && p.created_ns ? p.created_ns : p.id.start_ns;
    if (!born || born > p.exited_ns) born = p.created_ns;
    return born && born <= p.exited_ns ? p.exited_ns - born : 0;
}

bool lifetime_is_approximate(const Process& p) { return !p.birth_seen; }

std::string describe_lifetime(const Process& p)
{
    std::uint64_t life = process_lifetime_ns(p);
    if (!life) return "";
    return (lifetime_is_approximate(p) ? "~" : "") + format_duration(life);
}

std::string describe_exit_usage(const Process& p)
{
    std::string out;
    if (auto cpu = p.cpu_time_ns()) out = "cpu " + format_duration(*cpu);
    if (auto rss = p.peak_rss_bytes()) {
        if (!out.empty()) out += ", ";
        out += *rss < 1024 * 1024 ? fmt::format("peak RSS {} KiB", *rss / 1024)
                                  : fmt::format("peak RSS {:.1f} MiB", double(*rss) / (1024.0 * 1024.0));
    }
    return out;
}

std::string json_number(std::optional<std::uint64_t> value)
{
    return value ? std::to_string(*value) : std::string("null");
}

std::string describe_exit(const Process& p)
{
    if (!p.exited) return "";
    if (p.exit_flags & PT_EXIT_CODE_UNKNOWN) return "exit ?";
    if (p.exit_flags & PT_EXIT_SIGNALED) {
        std::string s = p.exit_signal < kSignalNames.size() && p.exit_signal > 0
                            ? fmt::format("signal {} ({})", p.exit_signal, kSignalNames[p.exit_signal])
                            : fmt::format("signal {}", p.exit_signal);
        if (p.exit_flags & PT_EXIT_CORE_DUMPED) s += ", core dumped";
        return s;
    }
    if (p.exit_code < 0 || p.exit_code > 255)
        return fmt::format("exit 0x{:08X}", static_cast<std::uint32_t>(p.exit_code));
    return fmt::format("exit {}", p.exit_code);
}

std::string describe_reparenting(const Process& p)
{
    if (!p.reparented_ns) return "";
    return fmt::format("re-parented from {} to {}", p.recorded_parent.pid, p.current_parent.pid);
}

std::string format_utc(std::uint64_t ns)
{
    using namespace std::chrono;
    sys_time<nanoseconds> tp{nanoseconds(ns)};
    auto day = floor<days>(tp);
    year_month_day ymd{day};
    hh_mm_ss<seconds> hms{duration_cast<seconds>(tp - day)};
    return fmt::format("{:04}-{:02}-{:02} {:02}:{:02}:{:02} UTC", int(ymd.year()), unsigned(ymd.month()),
                       unsigned(ymd.day()), hms.hours().count(), hms.minutes().count(), hms.seconds().count());
}

std::string sha256_hex(const std::array<std::uint8_t, 32>& digest)
{
    std::string hex;
    hex.reserve(64);
    for (std::uint8_t b : digest) hex += fmt::format("{:02x}", b);
    return hex;
}

std::string describe_image_facts(const ImageFacts* f)
{
    if (!f) return "";
    switch (f->status) {
    case PT_FACTS_HASHED: return fmt::format("sha256 {}, {} bytes", sha256_hex(f->sha256), f->size);
    case PT_FACTS_UNREADABLE: return fmt::format("unreadable (error {})", f->error);
    case PT_FACTS_SKIPPED: return "not hashed (hasher behind)";
    default: return fmt::format("facts status {}", f->status);
    }
}

std::string image_facts_json(const ImageFacts* f)
{
    if (!f) return "null";
    switch (f->status) {
    case PT_FACTS_HASHED:
        return fmt::format("{{\"status\":\"hashed\",\"size\":{},\"sha256\":\"{}\",{}}}", f->size, sha256_hex(f->sha256),
                           json_member("path", f->path));
    case PT_FACTS_UNREADABLE:
        return fmt::format("{{\"status\":\"unreadable\",\"error\":{},{}}}", f->error, json_member("path", f->path));
    case PT_FACTS_SKIPPED: return "{\"status\":\"skipped\"}";
    default: return fmt::format("{{\"status\":{}}}", f->status);
    }
}

namespace {

std::string execs_json(const Process& p)
{
    std::string out = "[";
    for (const ExecStep& e : p.execs) {
        if (out.size() > 1) out += ',';
        out += fmt::format("{{\"time_ns\":{},{},\"replaced_image_facts\":{}}}", e.time_ns,
                           json_member("replaced_image", e.replaced_image), image_facts_json(e.replaced_facts.get()));
    }
    return out + "]";
}

// What the details pane shows beyond the row: the creator, the original
// parent when it was moved up, the renames and image loads kept.
std::string details_json(const Process& p)
{
    std::string out =
        fmt::format(",\"creator_pid\":{},\"creator_tid\":{},\"original_parent\":", p.creator_pid, p.creator_tid);
    out += p.original_parent == Identity{}
               ? std::string("null")
               : fmt::format("{{\"pid\":{},\"start_ns\":{}}}", p.original_parent.pid, p.original_parent.start_ns);
    const ProcessHistory* h = p.history();
    out += ",\"renames\":[";
    for (std::size_t i = 0; h && i < h->renames.size(); ++i)
        out += fmt::format("{}{{\"time_ns\":{},{},{}}}", i ? "," : "", h->renames[i].time_ns,
                           json_member("before", h->renames[i].before), json_member("after", h->renames[i].after));
    out += fmt::format("],\"renames_dropped\":{},\"images_loaded\":[", h ? h->renames_dropped : 0);
    for (std::size_t i = 0; h && i < h->images.size(); ++i)
        out += fmt::format("{}{{\"time_ns\":{},\"base\":{},\"size\":{},{}}}", i ? "," : "", h->images[i].time_ns,
                           h->images[i].base, h->images[i].size, json_member("path", h->images[i].path));
    return out + fmt::format("],\"images_dropped\":{}", h ? h->images_dropped : 0);
}

}  // namespace

std::string export_text(const ProcessTree& tree, const ExportInfo& info)
{
    TreeView view(tree);
    std::vector<Row> rows = view.all_rows();
    std::string out = export_header_text(tree, info, rows.size());
    std::vector<ExportColumn> columns = info.columns;
    if (columns.empty()) columns.push_back({"PID", 7, true, [](const Process& p) { return std::to_string(p.id.pid); }});
    auto cells = [&](auto&& text_of) {
        std::string s;
        for (const ExportColumn& c : columns)
            s += c.right ? fmt::format("{:>{}}  ", text_of(c), c.width) : fmt::format("{:<{}}  ", text_of(c), c.width);
        return s;
    };
    out += cells([](const ExportColumn& c) { return c.header; }) + fmt::format("{:<3}  TREE\n", "");
    for (const Row& r : rows) {
        const Process& p = *r.proc;
        std::string line = cells([&](const ExportColumn& c) { return c.cell(p); }) +
                           fmt::format("{:<3}  {}{}{}", state_tag(r.state), r.prefix,
                                       r.collapsed && r.has_children ? "▶ " : "", escape(p.name));
        line += cut_marker(cut_of(p, TextField::Name));
        if (!p.cmdline.empty()) line += "  " + escape(p.cmdline) + cut_marker(cut_of(p, TextField::Cmdline));
        if (p.image_facts) line += "  [" + describe_image_facts(p.image_facts.get()) + "]";
        if (p.reparented_ns) line += "  [" + describe_reparenting(p) + "]";
        if (p.exited) line += fmt::format("  ({} after {})", describe_exit(p), describe_lifetime(p));
        out += line;
        out += '\n';
    }
    return out;
}

std::string export_json(const ProcessTree& tree, const ExportInfo& info)
{
    TreeView view(tree);
    std::vector<Row> rows = view.all_rows();
    std::string f = tree.filter().describe();
    std::string out = fmt::format("{{\"time\":{},\"time_ns\":{},{},{},{},"
                                  "\"processes_total\":{},\"processes\":[",
                                  json_quote(format_utc(info.time_ns)), info.time_ns, json_member("host", info.host),
                                  json_member("source", info.source), json_member("filter", f), tree.size());
    std::vector<std::uint32_t> open;  // depths whose "children" array is open
    bool first = true;
    for (const Row& r : rows) {
        while (!open.empty() && open.back() >= r.depth) {
            out += "]}";
            open.pop_back();
            first = false;
        }
        if (!first) out += ',';
        const Process& p = *r.proc;
        out += fmt::format(
            "{{\"pid\":{},\"start_ns\":{},\"ppid\":{},\"parent_start_ns\":{},"
            "\"original_ppid\":{},\"original_parent_start_ns\":{},\"reparented_ns\":{},{},"
            "{},{},{},\"uid\":{},\"threads\":{},\"state\":\"{}\","
            "\"collapsed\":{}",
            p.id.pid, p.id.start_ns, p.current_parent.pid, p.current_parent.start_ns, p.recorded_parent.pid,
            p.recorded_parent.start_ns, p.reparented_ns ? std::to_string(p.reparented_ns) : std::string("null"),
            json_member("name", p.name), json_member("cmdline", p.cmdline), json_member("image", p.image),
            json_member("user", p.user), p.uid == PT_UID_UNKNOWN ? std::string("null") : std::to_string(p.uid),
            p.threads, state_word(r.state), r.collapsed ? "true" : "false");
        out += cut_json("name", cut_of(p, TextField::Name)) + cut_json("cmdline", cut_of(p, TextField::Cmdline)) +
               cut_json("image", cut_of(p, TextField::Image));
        if (p.exited) {
            bool known = !(p.exit_flags & PT_EXIT_CODE_UNKNOWN);
            bool signaled = p.exit_flags & PT_EXIT_SIGNALED;
            out += fmt::format(",\"exit_code\":{},\"exit_signal\":{},\"exit\":{},\"lifetime_ns\":{},"
                               "\"lifetime_approximate\":{},\"cpu_ns\":{},\"peak_rss_bytes\":{}",
                               known && !signaled ? std::to_string(p.exit_code) : "null",
                               signaled ? std::to_string(p.exit_signal) : "null", json_quote(describe_exit(p)),
                               process_lifetime_ns(p), lifetime_is_approximate(p) ? "true" : "false",
                               json_number(p.cpu_time_ns()), json_number(p.peak_rss_bytes()));
        }
        out += fmt::format(",\"image_facts\":{},\"execs\":{}", image_facts_json(p.image_facts.get()), execs_json(p));
        out += details_json(p);
        out += ",\"children\":[";
        open.push_back(r.depth);
        first = true;
    }
    for (std::size_t i = 0; i < open.size(); ++i) out += "]}";
    out += "]}\n";
    return out;
}

}  // namespace proctree::model
