#include "cli.hpp"

#include <fmt/core.h>

#include <clocale>
#include <cstdio>
#include <sstream>

namespace proctree::cli {

std::string help_footer(const std::vector<Example>& examples)
{
    std::string out = "\nExamples:\n";
    for (const Example& e : examples) out += fmt::format("  {}\n      {}\n", e.command, e.purpose);
    out += "\nSee man proctree for the viewer's keys, exit statuses, files and environment.";
    return out;
}

std::vector<Example> parse_help_footer(const std::string& footer)
{
    std::vector<Example> examples;
    std::istringstream in(footer);
    std::string line;
    while (std::getline(in, line)) {
        // help_footer's layout: commands indented by 2, purposes by 6.
        if (line.rfind("      ", 0) == 0 && !examples.empty()) {
            examples.back().purpose = line.substr(6);
        } else if (line.rfind("  ", 0) == 0 && line.size() > 2 && line[2] != ' ') {
            examples.push_back(Example{line.substr(2), {}});
        }
    }
    return examples;
}

Commands build_app(CLI::App& app)
{
    app.description("proctree - a live process tree fed by kernel events.\n"
                    "With no command, opens the live viewer of this machine.");
    app.name("proctree");
    app.set_version_flag("--version", std::string("proctree ") + PROCTREE_VERSION);
    app.require_subcommand(0, 1);

    Commands commands;
    commands.viewer = add_viewer(app);
    auto add = [&](Action (*adder)(CLI::App&)) {  // each adds exactly one subcommand
        Action action = adder(app);
        commands.subcommands.emplace_back(app.get_subcommands({}).back(), std::move(action));
    };
    add(&add_decode);
    add(&add_snapshot);
    add(&add_record);
    add(&add_publish);
    // Set last: subcommands copy the parent's footer when they are created.
    app.footer(help_footer({
        {"sudo proctree", "the live tree of this machine (eBPF, else the proc connector, else /proc polling)"},
        {"proctree --from capture.ptr --speed 0", "a recording, all at once"},
        {"proctree --from /var/lib/proctree/", "a flight recorder's directory, its files in order"},
        {"ssh host sudo proctree record | proctree --from -", "another Linux machine, live"},
        {"proctree --from tcp:winbox:7777", "a Windows machine running proctree-agent --listen"},
    }));
    return commands;
}

int run(int argc, char** argv)
{
    std::setlocale(LC_ALL, "");
    CLI::App app;
    Commands commands = build_app(app);
    try {
        app.parse(argc, argv);
    } catch (const CLI::CallForHelp& e) {
        return app.exit(e);
    } catch (const CLI::CallForAllHelp& e) {
        return app.exit(e);
    } catch (const CLI::CallForVersion& e) {
        return app.exit(e);
    } catch (const CLI::ParseError& e) {
        app.exit(e);
        return kExitBadInput;
    }
    for (auto& [sub, action] : commands.subcommands)
        if (sub->parsed()) return action();
    return commands.viewer();
}

}  // namespace proctree::cli
