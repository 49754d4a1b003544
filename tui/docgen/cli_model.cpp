#include "cli_model.hpp"

#include "viewer/layout.hpp"

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

// The help screen's lines: "  KEYS<two or more spaces>WHAT" are keys, other
// non-empty lines after the title are notes.
void read_keys(CliDoc& doc)
{
    std::vector<std::string> lines = viewer::help_lines();
    std::regex key_line(R"(^  (\S.*?)  +(\S.*)$)");
    for (std::size_t i = 1; i < lines.size(); ++i) {
        std::smatch m;
        if (std::regex_match(lines[i], m, key_line)) {
            doc.keys.push_back(KeyDoc{m[1].str(), m[2].str()});
        } else if (lines[i].find_first_not_of(' ') != std::string::npos) {
            doc.key_notes.push_back(lines[i].substr(lines[i].find_first_not_of(' ')));
        }
    }
}

} // namespace

CliDoc describe_cli()
{
    CLI::App app;
    cli::build_app(app);
    CliDoc doc;
    doc.version = PROCTREE_VERSION;
    doc.commands.push_back(describe_command(app, ""));
    for (const CLI::App* sub : app.get_subcommands({})) doc.commands.push_back(describe_command(*sub, sub->get_name()));
    read_keys(doc);
    return doc;
}

} // namespace proctree::docgen
