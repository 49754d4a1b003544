// The live viewer's options (on the main command: `proctree [options]`) and
// entry point. Issue 4.
#include "cli.hpp"

#include "nats_from.hpp"
#include "sources.hpp"
#include "viewer/columns.hpp"
#include "viewer/viewer_loop.hpp"

#include <fmt/core.h>

#include <exception>
#include <memory>

namespace proctree::cli {

Action add_viewer(CLI::App& app)
{
    struct Args {
        LiveSourceArgs live;
        std::string from;
        double speed = 1.0;
        std::uint64_t highlight_ms = 3000;
        std::string filter;
        std::vector<std::uint32_t> pids;
        std::string export_dir = ".";
        nats::ConnectOptions nats;
        std::vector<std::string> hosts;
        bool image_facts = true;
        bool keep_exited = false;
        std::size_t history = 100'000;
        bool ascii = false;
        bool mouse = true;
        std::string columns;
        std::vector<std::string> users;
        bool match_cmdline = false;
        bool kernel_threads = false;
    };
    auto args = std::make_shared<Args>();
    add_live_source_options(app, args->live);
    app.add_option("--from", args->from,
                   "Show a recorded or remote stream: FILE, DIR/ (a flight recorder's files), - (stdin), "
                   "tcp:HOST:PORT, nats://SERVER[:PORT]/HOST or nats://SERVER[:PORT]/* (every host)");
    app.add_option("--speed", args->speed, "Replay speed of a recorded file (0: at once)")
        ->check(CLI::Range(0.0, 1e6))
        ->capture_default_str();
    app.add_option("--highlight-ms", args->highlight_ms, "How long new and exited processes stay marked")
        ->check(CLI::Range(std::uint64_t{0}, std::uint64_t{86'400'000}))
        ->capture_default_str();
    app.add_option("--filter", args->filter, "Start with this name filter");
    app.add_option("-u,--user", args->users, "Show only these users' processes (USER[,USER]; u chooses on screen)")
        ->delimiter(',');
    app.add_flag("--cmdline", args->match_cmdline,
                 "The name filter and the search match command lines too (c toggles)");
    app.add_flag("--kernel-threads", args->kernel_threads, "Show kernel threads from the start (hidden; K toggles)");
    app.add_option("-p,--pid", args->pids,
                   "Start with a PID filter: these processes and their subtrees (PID[,PID]; repeat; p on screen)")
        ->delimiter(',');
    app.add_option("--export-dir", args->export_dir, "Where s and S write their exports")->capture_default_str();
    add_nats_connect_options(&app, args->nats);
    app.add_option("--host", args->hosts, "With --from nats://SERVER/*: only these hosts (repeat, or NAME,NAME)")
        ->delimiter(',');
    app.add_flag("!--no-image-facts", args->image_facts, "Do not read and hash executables (live sources)");
    app.add_flag("--keep-exited", args->keep_exited,
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

    return [args] {
        std::string ignored;
        auto nats = is_nats_spec(args->from) ? parse_nats_from(args->from, ignored) : std::nullopt;
        if (!args->hosts.empty() && !(nats && nats->all_hosts)) {
            fmt::print(stderr, "proctree: --host narrows a fleet: use it with --from nats://SERVER[:PORT]/*\n");
            return kExitBadInput;
        }
        viewer::ViewerOptions o;
        collect::SourceOptions live = live_source_options(args->live);
        o.source = live.kind;
        o.interval = live.poll_interval;
        o.from = args->from;
        o.speed = args->speed;
        o.highlight_ms = args->highlight_ms;
        o.filter = args->filter;
        o.pids = args->pids;
        o.users = args->users;
        o.match_cmdline = args->match_cmdline;
        o.kernel_threads = args->kernel_threads;
        o.export_dir = args->export_dir;
        o.nats = args->nats;
        o.hosts = args->hosts;
        o.image_facts = args->image_facts;
        o.keep_exited = args->keep_exited;
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
            o.columns = *columns;
        }
        try {
            return viewer::run_viewer(o);
        } catch (const std::exception& e) {
            fmt::print(stderr, "proctree: {}\n", e.what());
            return kExitFailure;
        }
    };
}

}  // namespace proctree::cli
