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
#include <vector>

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

// Where following starts. Everything: every message retained. Newest: each
// host's newest checkpoint (its first message when it has none). Since /
// At: each host's last checkpoint at or before `time` (a typed time, see
// model::parse_time: +SECONDS from the oldest message retained, a time of
// day within the last 24 hours, or a UTC date and time); At also applies
// no record after it.
struct FollowStart {
    enum class From {
        Everything,
        Newest,
        Since,
        At
    } from = From::Everything;
    std::string time;
};

struct CatchUpResult {
    std::string error;          // "" on success, else one line
    bool bad_input = false;     // the error is the user's time (exit status 2)
    std::uint64_t time_ns = 0;  // Since / At: the time resolved
};

// Applies what the stream holds for `from` (up to what is stored when it
// subscribes) to fleet, from `start`; `also` sees each applied record.
CatchUpResult catch_up(const NatsFrom& from, const nats::ConnectOptions& connect, model::Fleet& fleet,
                       model::RecordHandler* also = nullptr, const FollowStart& start = {});

// One host followed live, as a Source: the stream header once, then the
// records that pass the exactly-once gate; a gap becomes an events-lost
// record. For the viewer's reader thread.
// With from.all_hosts, every host (or only `hosts`, when given), merged as
// FleetMerge says: for a tree with TreeConfig::hosts.
// It starts at each host's newest checkpoint, or as `start` says.
std::unique_ptr<collect::Source> make_nats_follow_source(const NatsFrom& from, const nats::ConnectOptions& connect,
                                                         std::function<void(std::string_view)> notice,
                                                         std::string& error,
                                                         FollowStart start = {FollowStart::From::Newest, ""},
                                                         std::vector<std::string> hosts = {});

}  // namespace proctree::cli
