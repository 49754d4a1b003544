#include "columns.hpp"

#include "grid.hpp"

#include <proctree/model/escape.hpp>

#include <fmt/core.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <ctime>

namespace proctree::viewer {

std::span<const ColumnSpec> all_columns()
{
    static constexpr std::array<ColumnSpec, 8> kColumns{{
        {Column::Pid, "PID", "pid", 7, true, SortKey::Pid, "process id"},
        {Column::User, "USER", "user", 8, false, SortKey::User, "user name (or uid)"},
        {Column::Cpu, "CPU%", "cpu", 5, true, SortKey::Cpu, "CPU of one core over the last second"},
        {Column::Rss, "RSS", "rss", 5, true, SortKey::Rss, "resident memory (peak, once exited)"},
        {Column::State, "S", "s", 1, false, SortKey::State, "state: R run, S sleep, D disk, Z zombie, T stopped"},
        {Column::Start, "START", "start", 8, true, SortKey::Start, "start time (or day)"},
        {Column::Age, "AGE", "age", 5, true, SortKey::Start, "time since the start"},
        {Column::Threads, "THR", "thr", 4, true, SortKey::Threads, "threads"},
    }};
    return kColumns;
}

const ColumnSpec& column_spec(Column c)
{
    for (const ColumnSpec& s : all_columns())
        if (s.id == c) return s;
    return all_columns().front();
}

std::vector<Column> default_columns()
{
    return {Column::Pid, Column::User, Column::Cpu, Column::Rss, Column::State, Column::Start, Column::Threads};
}

namespace {

bool iequal(std::string_view a, std::string_view b)
{
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
               return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
           });
}

std::string_view trim(std::string_view s)
{
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
    return s;
}

}  // namespace

std::string column_names_help()
{
    std::string out;
    for (const ColumnSpec& s : all_columns()) out += fmt::format("{}{}", out.empty() ? "" : ", ", s.key);
    return out;
}

std::optional<std::vector<Column>> parse_columns(std::string_view list, std::string& error)
{
    std::vector<Column> out;
    while (true) {
        std::size_t comma = list.find(',');
        std::string_view name = trim(list.substr(0, comma));
        const ColumnSpec* found = nullptr;
        for (const ColumnSpec& s : all_columns())
            if (iequal(name, s.key) || iequal(name, s.header)) found = &s;
        if (!found) {
            error = fmt::format("unknown column '{}'; the columns are {} (the tree comes last)", model::escape(name),
                                column_names_help());
            return std::nullopt;
        }
        if (std::find(out.begin(), out.end(), found->id) != out.end()) {
            error = fmt::format("column '{}' is listed twice", found->key);
            return std::nullopt;
        }
        out.push_back(found->id);
        if (comma == std::string_view::npos) break;
        list.remove_prefix(comma + 1);
    }
    return out;
}

std::string columns_list(const std::vector<Column>& columns)
{
    std::string out;
    for (Column c : columns) out += fmt::format("{}{}", out.empty() ? "" : ",", column_spec(c).key);
    return out;
}

bool wants_usage(const std::vector<Column>& columns)
{
    return std::any_of(columns.begin(), columns.end(),
                       [](Column c) { return c == Column::Cpu || c == Column::Rss || c == Column::State; });
}

std::string format_rss(std::uint64_t bytes)
{
    constexpr double kK = 1024.0, kM = kK * 1024.0, kG = kM * 1024.0;
    double b = static_cast<double>(bytes);
    if (b < 1000 * kK) return fmt::format("{}K", bytes / 1024);
    if (b < 9.95 * kM) return fmt::format("{:.1f}M", b / kM);
    if (b < 1000 * kM) return fmt::format("{:.0f}M", b / kM);
    if (b < 9.95 * kG) return fmt::format("{:.1f}G", b / kG);
    return fmt::format("{:.0f}G", b / kG);
}

std::string format_cpu(double percent)
{
    if (percent < 0) percent = 0;
    return percent < 999.95 ? fmt::format("{:.1f}", percent) : fmt::format("{:.0f}", percent);
}

std::string format_age(std::uint64_t ns)
{
    std::uint64_t s = ns / 1'000'000'000ull;
    if (s < 100) return fmt::format("{}s", s);
    if (s < 100 * 60) return fmt::format("{}m", s / 60);
    if (s < 48 * 3600) return fmt::format("{}h", s / 3600);
    return fmt::format("{}d", s / 86400);
}

std::string format_start(std::uint64_t start_ns, std::uint64_t now_ns)
{
    if (start_ns == 0) return "-";
    std::time_t t = static_cast<std::time_t>(start_ns / 1'000'000'000ull);
    std::tm tm{};
    if (!localtime_r(&t, &tm)) return "?";
    char buf[16];
    bool recent = now_ns < start_ns || now_ns - start_ns < 86'400'000'000'000ull;
    std::size_t n = std::strftime(buf, sizeof buf, recent ? "%H:%M:%S" : "%b%d", &tm);
    return std::string(buf, n);
}

std::string user_of(const model::Process& p)
{
    if (!p.user.empty()) return model::escape(p.user);
    if (p.uid != 0xFFFFFFFFu) return std::to_string(p.uid);
    return "?";
}

std::vector<model::ExportColumn> export_columns(const std::vector<Column>& columns, const UsageTable& usage,
                                                const model::ProcessTree& tree)
{
    std::vector<model::ExportColumn> out;
    for (Column c : columns) {
        const ColumnSpec& spec = column_spec(c);
        out.push_back({std::string(spec.header), spec.width, spec.right, [&usage, &tree, c](const model::Process& p) {
                           return cell_text(c, p, usage.find(p.id), tree.now());
                       }});
    }
    return out;
}

std::string cell_text(Column c, const model::Process& p, const Usage* usage, std::uint64_t now_ns)
{
    // An exited process has no figures now: its whole life's peak RSS where
    // the exit record had it (its CPU time is in the exit description).
    const Usage* u = p.exited ? nullptr : usage;
    switch (c) {
    case Column::Pid: return std::to_string(p.id.pid);
    case Column::User: return user_of(p);
    case Column::Cpu: return u && u->cpu_percent ? format_cpu(*u->cpu_percent) : "-";
    case Column::Rss:
        if (p.exited) return p.peak_rss_bytes() ? format_rss(*p.peak_rss_bytes()) : "-";
        return u && u->rss_bytes ? format_rss(*u->rss_bytes) : "-";
    case Column::State: return u && u->state ? std::string(1, u->state) : "-";
    case Column::Start: return format_start(p.id.start_ns, now_ns);
    case Column::Age: return p.id.start_ns == 0 || now_ns < p.id.start_ns ? "-" : format_age(now_ns - p.id.start_ns);
    case Column::Threads: return std::to_string(u && u->threads ? u->threads : p.threads);
    }
    return "-";
}

namespace {

void append_cell(std::string& out, const ColumnSpec& s, std::string_view text)
{
    std::string_view cut = fit_prefix(text, s.width);
    int pad = s.width - text_width(cut);
    if (s.right) out.append(static_cast<std::size_t>(std::max(0, pad)), ' ');
    out += cut;
    if (!s.right) out.append(static_cast<std::size_t>(std::max(0, pad)), ' ');
    out += ' ';
}

}  // namespace

std::string header_cells(const std::vector<Column>& columns)
{
    std::string out;
    for (Column c : columns) append_cell(out, column_spec(c), column_spec(c).header);
    return out + ' ';
}

std::string row_cells(const std::vector<Column>& columns, const model::Process& p, const Usage* usage,
                      std::uint64_t now_ns)
{
    std::string out;
    for (Column c : columns) append_cell(out, column_spec(c), cell_text(c, p, usage, now_ns));
    return out + ' ';
}

int tree_column(const std::vector<Column>& columns)
{
    int x = 1;
    for (Column c : columns) x += column_spec(c).width + 1;
    return x;
}

}  // namespace proctree::viewer
