#include "cli.hpp"

#include <fmt/core.h>

#include <clocale>
#include <cstdio>
#include <vector>

namespace proctree::cli {

int run(int argc, char** argv)
{
    std::setlocale(LC_ALL, "");
    CLI::App app{"proctree - a live process tree fed by kernel events.\n"
                 "With no command, opens the live viewer of this machine."};
    app.set_version_flag("--version", std::string("proctree ") + PROCTREE_VERSION);
    app.require_subcommand(0, 1);

    Action viewer = add_viewer(app);
    std::vector<std::pair<CLI::App*, Action>> commands;
    auto add = [&](Action (*adder)(CLI::App&)) {  // each adds exactly one subcommand
        Action action = adder(app);
        commands.emplace_back(app.get_subcommands({}).back(), std::move(action));
    };
    add(&add_decode);
    add(&add_snapshot);
    add(&add_record);

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
    for (auto& [sub, action] : commands)
        if (sub->parsed()) return action();
    return viewer();
}

} // namespace proctree::cli
