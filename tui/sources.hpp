// The live sources this proctree ships, in the order `--source auto` tries
// them. The program, not the producer core, chooses its leaves. Also the
// options every command that opens one shares: the one list of source
// names and the one range of --interval.
#pragma once

#include <proctree/produce/source.hpp>
#include <proctree/produce/usage.hpp>

#include <CLI/CLI.hpp>

#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace proctree {

std::span<const collect::SourceFactory> linked_sources();
// open_source over linked_sources(), with image facts when options ask.
std::unique_ptr<collect::Source> open_linked_source(const collect::SourceOptions& options, std::string& error);

// Reads the usage of this machine's processes (the viewer's CPU%, RSS and S
// columns for a live source); nullptr where no leaf can.
std::unique_ptr<collect::UsageReader> linked_usage_reader();

// The linked sources' names, without auto.
std::vector<std::string> linked_source_names();
// "auto" or the name of a linked source; nullopt for anything else.
std::optional<collect::SourceKind> parse_source_kind(std::string_view name);

// --source and --interval, as the viewer, record and publish take them.
struct LiveSourceArgs {
    std::string source = "auto";
    int interval_ms = 500;
};
inline constexpr int kMinIntervalMs = 10;         // faster scans only burn CPU
inline constexpr int kMaxIntervalMs = 3'600'000;  // an hour
// Adds both options to cmd; returns --source (for excludes/needs).
CLI::Option* add_live_source_options(CLI::App& cmd, LiveSourceArgs& args);
// The source options they ask for (kind and poll interval).
collect::SourceOptions live_source_options(const LiveSourceArgs& args);

}  // namespace proctree
