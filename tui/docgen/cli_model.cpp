#include "cli_model.hpp"

#include "viewer/config.hpp"
#include "viewer/layout.hpp"

#include <map>
#include <regex>

namespace proctree::docgen {

namespace {

std::vector<std::string> split(const std::string& s, char sep)
{
    std::vector<std::string> out;
    std::string cur;
    for (char c : s) {
        if (c == sep) {
            out.push_back(cur);
            cur.clear();
        } else {
            cur += c;
        }
    }
    out.push_back(cur);
    return out;
}

// CLI11 spells an option's type and checks as "INT:INT in [10 - 60000]" or
// "TEXT:{auto,ebpf}".
void read_type(const std::string& type_name, OptionDoc& doc)
{
    std::smatch m;
    if (std::regex_search(type_name, m, std::regex(R"(\{([^}]*)\})"))) doc.choices = split(m[1].str(), ',');
    if (std::regex_search(type_name, m, std::regex(R"(\[([^\]]*)\])"))) doc.range = m[1].str();
    std::string base = type_name.substr(0, type_name.find(':'));
    doc.value = base == "TEXT" ? "TEXT" : "N";
}

OptionDoc describe_option(const CLI::Option& opt)
{
    OptionDoc doc;
    for (const std::string& s : opt.get_snames()) doc.names.push_back("-" + s);
    for (const std::string& l : opt.get_lnames()) doc.names.push_back("--" + l);
    if (doc.names.empty()) doc.positional = opt.get_name();
    doc.description = opt.get_description();
    if (opt.get_items_expected_max() != 0) read_type(opt.get_type_name(), doc);
    doc.default_value = opt.get_default_str();
    doc.required = opt.get_required();
    return doc;
}

CommandDoc describe_command(const CLI::App& app, std::string name)
{
    CommandDoc doc;
    doc.name = std::move(name);
    doc.description = app.get_description();
    for (const CLI::Option* opt : app.get_options()) {
        if (opt == app.get_help_ptr() || opt == app.get_version_ptr() || opt->get_group().empty()) continue;
        doc.options.push_back(describe_option(*opt));
    }
    doc.examples = cli::parse_help_footer(app.get_footer());
    return doc;
}

// The column where most help lines' descriptions start (after the first
// run of two or more spaces past the indent).
std::size_t description_column(const std::vector<std::string>& lines)
{
    std::map<std::size_t, int> votes;
    std::regex gap(R"(^  \S.*?  +)");
    for (const std::string& line : lines) {
        std::smatch m;
        if (std::regex_search(line, m, gap)) ++votes[static_cast<std::size_t>(m.length(0))];
    }
    std::size_t best = 0;
    int most = 0;
    for (auto [column, n] : votes)
        if (n > most) best = column, most = n;
    return best;
}

std::string trim(const std::string& s)
{
    std::size_t b = s.find_first_not_of(' '), e = s.find_last_not_of(' ');
    return b == std::string::npos ? std::string() : s.substr(b, e - b + 1);
}

// The help screen's lines: keys in the first column, what they do from the
// description column on; an empty key column continues the line above;
// other lines after the title are notes.
void read_keys(CliDoc& doc)
{
    std::vector<std::string> lines = viewer::help_lines();
    if (lines.empty()) return;
    lines.erase(lines.begin());  // the title
    std::size_t col = description_column(lines);
    for (const std::string& line : lines) {
        bool table =
            col > 2 && line.size() > col && line[col - 1] == ' ' && line[col] != ' ' && line.rfind("  ", 0) == 0;
        std::string keys = table ? trim(line.substr(0, col)) : "";
        if (table && !keys.empty()) {
            doc.keys.push_back(KeyDoc{keys, line.substr(col)});
        } else if (table && !doc.keys.empty()) {
            doc.keys.back().description += " " + line.substr(col);
        } else if (!trim(line).empty()) {
            doc.key_notes.push_back(trim(line));
        }
    }
}

}  // namespace

CliDoc describe_cli()
{
    CLI::App app;
    cli::build_app(app);
    CliDoc doc;
    doc.version = PROCTREE_VERSION;
    doc.commands.push_back(describe_command(app, ""));
    for (const CLI::App* sub : app.get_subcommands({})) doc.commands.push_back(describe_command(*sub, sub->get_name()));
    read_keys(doc);
    for (const viewer::ConfigKey& k : viewer::config_keys())
        doc.config_keys.push_back(KeyDoc{std::string(k.name), std::string(k.what)});
    return doc;
}

}  // namespace proctree::docgen
