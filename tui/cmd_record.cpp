// `proctree record`: headless recording of this machine's process events
// (stream header, snapshot, live records) to a file or stdout, until the
// duration ends or SIGINT/SIGTERM. The sink is flushed after every batch of
// records, so an interrupted recording is valid up to its last record.
// With --rotate-mb it is a flight recorder: -o names a directory of rotating
// files, each a complete stream (rotating_sink.hpp).
#include "cli.hpp"
#include "rotating_sink.hpp"
#include "sources.hpp"
#include "stop_signal.hpp"

#include <proctree/produce/fd_sink.hpp>
#include <proctree/linux/snapshot.hpp>
#include <proctree/produce/source.hpp>

#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <memory>
#include <string>
#include <thread>

#include <fmt/core.h>

namespace proctree::cli {

namespace {

struct RecordOptions {
    std::string output = "-";
    double duration_s = 0;  // 0: until a signal
    LiveSourceArgs live;
    int receive_buffer = 0;
    double rotate_mb = 0;  // 0: one file (or stdout), no rotation
    unsigned keep = 8;
    bool image_facts = true;
};

// The output file (or stdout), opened before any source starts so that a
// path that cannot be written fails first, alone; -1 after saying why.
int open_output(const RecordOptions& opt)
{
    if (opt.output == "-") return STDOUT_FILENO;
    int fd = ::open(opt.output.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) fmt::print(stderr, "proctree record: cannot write {}: {}\n", opt.output, std::strerror(errno));
    return fd;
}

// One stream into one file or stdout (fd from open_output).
int record_one(const RecordOptions& opt, int fd, collect::Source& source)
{
    int status = kExitOk;
    {
        collect::FdSink sink(fd);
        if (source.run(sink, stop_requested()) != 0) status = kExitFailure;
        sink.flush();
        if (sink.failed()) {
            fmt::print(stderr, "proctree record: writing {} failed: {}\n",
                       opt.output == "-" ? std::string("stdout") : opt.output, sink.error());
            status = kExitFailure;
        }
    }
    if (fd != STDOUT_FILENO && ::close(fd) != 0) {
        fmt::print(stderr, "proctree record: closing {} failed: {}\n", opt.output, std::strerror(errno));
        status = kExitFailure;
    }
    return status;
}

// Rotating files in the directory opt.output, each starting with a fresh
// /proc snapshot (taken on the source's thread, between its records).
int record_rotating(const RecordOptions& opt, collect::Source& source)
{
    collect::ProcFs procfs;
    RotatingSink::Options ro;
    ro.dir = opt.output;
    ro.max_file_bytes = static_cast<std::uint64_t>(opt.rotate_mb * (1u << 20));
    ro.keep = opt.keep;
    std::string error;
    auto sink = RotatingSink::open(
        ro,
        [&procfs](collect::WireWriter& w) {
            return collect::write_proc_snapshot(w, procfs, PT_SNAPSHOT_INITIAL, PT_SNAPSHOT_COMPLETE);
        },
        error);
    if (!sink) {
        fmt::print(stderr, "proctree record: {}\n", error);
        return kExitFailure;
    }
    int status = source.run(*sink, stop_requested()) != 0 ? kExitFailure : kExitOk;
    if (!sink->finish()) {
        fmt::print(stderr, "proctree record: {}\n", sink->error());
        status = kExitFailure;
    }
    return status;
}

int record(const RecordOptions& opt)
{
    collect::SourceOptions so = live_source_options(opt.live);
    so.receive_buffer = opt.receive_buffer;
    so.notice = [](std::string_view message) { fmt::print(stderr, "proctree record: {}\n", message); };

    // Before opening: a Ctrl-C while the source starts still ends cleanly.
    install_stop_handlers();
    std::atomic<bool>& stop = stop_requested();
    int fd = opt.rotate_mb > 0 ? -1 : open_output(opt);
    if (opt.rotate_mb <= 0 && fd < 0) return kExitFailure;
    std::string error;
    so.image_facts = opt.image_facts;
    std::unique_ptr<collect::Source> source = open_linked_source(so, error);
    if (!source) {
        fmt::print(stderr, "proctree record: {}\n", error);
        if (fd > STDOUT_FILENO) ::close(fd);
        return kExitFailure;
    }

    std::thread timer;
    std::atomic<bool> done{false};
    if (opt.duration_s > 0) {
        timer = std::thread([&] {
            const auto deadline =
                std::chrono::steady_clock::now() + std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                                                       std::chrono::duration<double>(opt.duration_s));
            while (!done.load() && !stop.load() && std::chrono::steady_clock::now() < deadline)
                std::this_thread::sleep_for(std::chrono::milliseconds(20));
            stop.store(true);
        });
    }
    int status = opt.rotate_mb > 0 ? record_rotating(opt, *source) : record_one(opt, fd, *source);
    done.store(true);
    if (timer.joinable()) timer.join();
    return status;
}

}  // namespace

Action add_record(CLI::App& app)
{
    auto opt = std::make_shared<RecordOptions>();
    CLI::App* cmd = app.add_subcommand(
        "record", "Record this machine's process events as a proctree stream (headless; Ctrl-C stops)");
    cmd->add_option("-o,--output", opt->output, "Output file, or - for stdout; with --rotate-mb, a directory")
        ->capture_default_str();
    cmd->add_option("--duration", opt->duration_s, "Stop after this many seconds (default: until SIGINT/SIGTERM)")
        ->check(CLI::NonNegativeNumber);
    add_live_source_options(*cmd, opt->live);
    cmd->add_flag("!--no-image-facts", opt->image_facts,
                  "Do not read and hash executables (no size/SHA-256 image facts records)");
    cmd->add_option("--receive-buffer", opt->receive_buffer,
                    "Netlink receive buffer in bytes (default: large; tiny values force loss, for tests)")
        ->check(CLI::NonNegativeNumber);
    CLI::Option* rotate =
        cmd->add_option("--rotate-mb", opt->rotate_mb,
                        "Flight recorder: write numbered files of at most this many MiB into the directory -o, "
                        "each a complete stream starting with a snapshot")
            ->check(CLI::Range(0.001, 1'048'576.0));
    cmd->add_option("--keep", opt->keep, "Flight recorder: keep at most this many files (the oldest go first)")
        ->check(CLI::Range(1u, 1'000'000u))
        ->needs(rotate)
        ->capture_default_str();
    cmd->footer(help_footer({
        {"sudo proctree record -o capture.ptr --duration 60", "one minute of this machine into a file"},
        {"sudo proctree record --rotate-mb 64 --keep 8 -o /var/lib/proctree/",
         "a flight recorder: at most 8 files of 64 MiB (systemctl start proctree-record)"},
        {"sudo proctree record | proctree decode -", "the live stream, decoded as it comes"},
    }));
    return [opt] {
        if (opt->rotate_mb > 0 && opt->output == "-") {
            fmt::print(stderr, "proctree record: --rotate-mb writes files into a directory: add -o DIR/\n");
            return kExitBadInput;
        }
        return record(*opt);
    };
}

}  // namespace proctree::cli
