// tui/nats_from.hpp - `--from nats://SERVER[:PORT]/HOST` (one host) and
// `nats://SERVER[:PORT]/*` (every host) for the viewer, snapshot and decode,
// and the NATS connection options they and `publish` share.
#pragma once

#include <proctree/produce/source.hpp>
#include <proctree/model/fleet.hpp>
#include <proctree/nats/connection.hpp>

#include <CLI/CLI.hpp>

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace proctree::cli {

struct NatsFrom {
    std::string server;  // nats://SERVER:PORT, for libnats
    std::string host;    // "" with all_hosts
    bool all_hosts = false;
    std::string subject() const;
    std::string describe() const;  // "nats://127.0.0.1:4222/web1"
};

bool is_nats_spec(std::string_view spec);
// nullopt with error (one line) when spec is not nats://SERVER[:PORT]/HOST or /*.
std::optional<NatsFrom> parse_nats_from(std::string_view spec, std::string& error);

// --creds, --tls-ca, --tls-cert, --tls-key on cmd, into options.
void add_nats_connect_options(CLI::App* cmd, nats::ConnectOptions& options);

// Applies every message the stream holds for `from` (up to what is stored
// when it subscribes) to fleet; `also` sees each applied record. "" on
// success, else one line.
std::string catch_up(const NatsFrom& from, const nats::ConnectOptions& connect, model::Fleet& fleet,
                     model::RecordHandler* also = nullptr);

// One host followed live, as a Source: the stream header once, then the
// records that pass the exactly-once gate; a gap becomes an events-lost
// record. For the viewer's reader thread.
std::unique_ptr<collect::Source> make_nats_follow_source(const NatsFrom& from, const nats::ConnectOptions& connect,
                                                         std::function<void(std::string_view)> notice,
                                                         std::string& error);

} // namespace proctree::cli
