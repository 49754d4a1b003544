// tui/viewer/columns.hpp - the columns before the tree: which there are,
// their header, width and text, and `--columns LIST`. The tree (name and
// command line) always comes last.
#pragma once

#include "usage.hpp"
#include "view_rows.hpp"

#include <proctree/model/export.hpp>
#include <proctree/model/tree.hpp>

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace proctree::viewer {

enum class Column : std::uint8_t {
    Pid,
    User,
    Cpu,
    Rss,
    State,
    Start,
    Age,
    Threads
};

struct ColumnSpec {
    Column id;
    std::string_view header;  // "CPU%"
    std::string_view key;     // as --columns and the config name it: "cpu"
    int width;
    bool right;                   // right-aligned (numbers)
    std::optional<SortKey> sort;  // the sort it stands for
    std::string_view what;        // for --help
};

std::span<const ColumnSpec> all_columns();
const ColumnSpec& column_spec(Column c);
// PID USER CPU% RSS S START THR.
std::vector<Column> default_columns();
// "pid,user,cpu,rss" (names as key or header, any case). nullopt with a
// one-line error naming the valid names.
std::optional<std::vector<Column>> parse_columns(std::string_view list, std::string& error);
std::string columns_list(const std::vector<Column>& columns);  // "pid,user,cpu"
std::string column_names_help();                               // "pid, user, cpu (CPU% of one core), ..."

// Whether any of these columns shows figures sampled from the system.
bool wants_usage(const std::vector<Column>& columns);

// The header and one row's cells, each column padded to its width and
// followed by one space; the tree starts two columns after the last.
std::string header_cells(const std::vector<Column>& columns);
std::string row_cells(const std::vector<Column>& columns, const model::Process& p, const Usage* usage,
                      std::uint64_t now_ns);
int tree_column(const std::vector<Column>& columns);

// The columns as the text export writes them: the screen's cells, figures
// from `usage`, ages by the tree's clock. Both must outlive the result.
std::vector<model::ExportColumn> export_columns(const std::vector<Column>& columns, const UsageTable& usage,
                                                const model::ProcessTree& tree);

// Cell text (exposed for tests). "-" wherever the figure is unknown.
std::string cell_text(Column c, const model::Process& p, const Usage* usage, std::uint64_t now_ns);
std::string format_rss(std::uint64_t bytes);                             // "980K", "5.2M", "312M", "1.4G"
std::string format_cpu(double percent);                                  // "0.0", "12.3", "350.2", "1234"
std::string format_age(std::uint64_t ns);                                // "42s", "17m", "5h", "12d"
std::string format_start(std::uint64_t start_ns, std::uint64_t now_ns);  // "19:30:44" or "Nov21"
std::string user_of(const model::Process& p);

}  // namespace proctree::viewer
