// The live viewer's options (on the main command: `proctree [options]`) and
// entry point. Issue 4.
#include "cli.hpp"

#include "nats_from.hpp"
#include "sources.hpp"
#include "viewer/columns.hpp"
#include "viewer/config.hpp"
#include "viewer/viewer_loop.hpp"

#include <fmt/core.h>

#include <cstdlib>
#include <exception>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <system_error>

namespace proctree::cli {

namespace {

std::optional<std::string> config_file()
{
    return viewer::config_path(std::getenv("XDG_CONFIG_HOME"), std::getenv("HOME"));
}

// The config file's settings under the command line's: a key whose option
// was given takes the command line's value. Each bad line of the file is
// one line on stderr, and the viewer's first status notice says so.
viewer::Settings effective_settings(const CLI::App& app, const viewer::Settings& given, std::string& notice)
{
    std::vector<std::string> sources = linked_source_names();
    viewer::Settings s;
    std::optional<std::string> path = config_file();
    std::ifstream in(path ? *path : std::string(), std::ios::binary);
    if (path && in) {
        std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
        viewer::ConfigRead read = viewer::parse_config(text, sources);
        s = read.settings;
        for (const viewer::ConfigProblem& p : read.problems)
            fmt::print(stderr, "proctree: {}:{}: {}; the line is ignored\n", *path, p.line, p.message);
        if (!read.problems.empty())
            notice = fmt::format(
                "{}:{}: {}{}", *path, read.problems.front().line, read.problems.front().message,
                read.problems.size() > 1 ? fmt::format(" ({} more on stderr)", read.problems.size() - 1) : "");
    }
    for (const viewer::ConfigKey& k : viewer::config_keys()) {
        const CLI::Option* opt = app.get_option_no_throw("--" + std::string(k.name));
        std::string why;
        if (opt && opt->count() > 0) k.parse(k.write(given), sources, s, why);  // checked by the option
    }
    return s;
}

int write_config_file(const viewer::Settings& s)
{
    std::optional<std::string> path = config_file();
    if (!path) {
        fmt::print(stderr, "proctree: --write-config: set HOME or XDG_CONFIG_HOME\n");
        return kExitFailure;
    }
    std::error_code ec;
    std::filesystem::create_directories(std::filesystem::path(*path).parent_path(), ec);
    std::ofstream out(*path, std::ios::binary | std::ios::trunc);
    out << viewer::write_config(s);
    out.close();
    if (ec || !out) {
        fmt::print(stderr, "proctree: --write-config: cannot write {}{}\n", *path, ec ? ": " + ec.message() : "");
        return kExitFailure;
    }
    fmt::print("proctree: wrote {}\n", *path);
    return kExitOk;
}

}  // namespace

Action add_viewer(CLI::App& app)
{
    struct Args {
        LiveSourceArgs live;
        std::string from;
        double speed = 1.0;
        viewer::Settings settings;  // the options a config file can set too
        std::string filter;
        std::vector<std::uint32_t> pids;
        nats::ConnectOptions nats;
        std::vector<std::string> hosts;
        bool image_facts = true;
        std::size_t history = 100'000;
        bool ascii = false;
        bool mouse = true;
        std::string columns;
        std::vector<std::string> users;
        bool match_cmdline = false;
        std::string sort;
        bool write_config = false;
    };
    auto args = std::make_shared<Args>();
    add_live_source_options(app, args->live);
    app.add_option("--from", args->from,
                   "Show a recorded or remote stream: FILE, DIR/ (a flight recorder's files), - (stdin), "
                   "tcp:HOST:PORT, nats://SERVER[:PORT]/HOST or nats://SERVER[:PORT]/* (every host)");
    app.add_option("--speed", args->speed, "Replay speed of a recorded file (0: at once)")
        ->check(CLI::Range(0.0, 1e6))
        ->capture_default_str();
    app.add_option("--highlight-ms", args->settings.highlight_ms, "How long new and exited processes stay marked")
        ->check(CLI::Range(std::uint64_t{0}, viewer::kMaxHighlightMs))
        ->capture_default_str();
    app.add_option("--filter", args->filter, "Start with this name filter");
    app.add_option("-u,--user", args->users, "Show only these users' processes (USER[,USER]; u chooses on screen)")
        ->delimiter(',');
    app.add_flag("--cmdline", args->match_cmdline,
                 "The name filter and the search match command lines too (c toggles)");
    app.add_flag("--kernel-threads", args->settings.kernel_threads,
                 "Show kernel threads from the start (hidden; K toggles)");
    app.add_option("-p,--pid", args->pids,
                   "Start with a PID filter: these processes and their subtrees (PID[,PID]; repeat; p on screen)")
        ->delimiter(',');
    app.add_option("--export-dir", args->settings.export_dir, "Where s and S write their exports")
        ->capture_default_str();
    add_nats_connect_options(&app, args->nats);
    app.add_option("--host", args->hosts, "With --from nats://SERVER/*: only these hosts (repeat, or NAME,NAME)")
        ->delimiter(',');
    app.add_flag("!--no-image-facts", args->image_facts, "Do not read and hash executables (live sources)");
    app.add_flag("--keep-exited", args->settings.keep_exited,
                 "Keep exited processes in the tree after their highlight time (x toggles)");
    app.add_option("--history", args->history, "How many exited processes are kept at most; the oldest exits go first")
        ->check(CLI::Range(std::size_t{1}, std::size_t{100'000'000}))
        ->capture_default_str();
    app.add_flag("--ascii", args->ascii,
                 "Draw tree lines and separators in ASCII (the default when the locale is not UTF-8)");
    app.add_flag("!--no-mouse", args->mouse, "Leave the mouse to the terminal (text selection); no wheel or clicks");
    app.add_option("--columns", args->columns,
                   "The columns before the tree, in this order: a comma-separated list of " +
                       viewer::column_names_help() + " (default " + viewer::columns_list(viewer::default_columns()) +
                       ")");
    app.add_option("--sort", args->sort,
                   "Sort siblings by one of " + viewer::sort_names_help() + " (default start: start order; F6)")
        ->check([](const std::string& text) {
            viewer::Settings ignored;
            std::string why;
            viewer::find_config_key("sort")->parse(text, {}, ignored, why);
            return why;
        });
    app.add_flag("--write-config", args->write_config,
                 "Write the settings in effect (the config file's under these options) to the config file, then exit");

    return [args, &app] {
        std::string ignored;
        auto nats = is_nats_spec(args->from) ? parse_nats_from(args->from, ignored) : std::nullopt;
        if (!args->hosts.empty() && !(nats && nats->all_hosts)) {
            fmt::print(stderr, "proctree: --host narrows a fleet: use it with --from nats://SERVER[:PORT]/*\n");
            return kExitBadInput;
        }
        viewer::ViewerOptions o;
        collect::SourceOptions live = live_source_options(args->live);
        o.interval = live.poll_interval;
        o.from = args->from;
        o.speed = args->speed;
        o.filter = args->filter;
        o.pids = args->pids;
        o.users = args->users;
        o.match_cmdline = args->match_cmdline;
        o.nats = args->nats;
        o.hosts = args->hosts;
        o.image_facts = args->image_facts;
        o.history = args->history;
        o.ascii = args->ascii;
        o.mouse = args->mouse;
        if (!args->columns.empty()) {
            std::string why;
            auto columns = viewer::parse_columns(args->columns, why);
            if (!columns) {
                fmt::print(stderr, "proctree: --columns: {}\n", why);
                return kExitBadInput;
            }
            args->settings.columns = *columns;
        }
        args->settings.source = args->live.source;
        if (!args->sort.empty()) viewer::find_config_key("sort")->parse(args->sort, {}, args->settings, ignored);
        viewer::Settings s = effective_settings(app, args->settings, o.notice);
        if (args->write_config) return write_config_file(s);
        o.source = parse_source_kind(s.source).value_or(collect::SourceKind::Auto);
        o.highlight_ms = s.highlight_ms;
        o.columns = s.columns;
        o.sort = s.sort;
        o.keep_exited = s.keep_exited;
        o.kernel_threads = s.kernel_threads;
        o.export_dir = s.export_dir;
        try {
            return viewer::run_viewer(o);
        } catch (const std::exception& e) {
            fmt::print(stderr, "proctree: {}\n", e.what());
            return kExitFailure;
        }
    };
}

}  // namespace proctree::cli
