// proctree/nats/subscriber.hpp - follows hosts' batches from JetStream.
//
// An ordered, unacknowledged consumer on proctree.v1.<host> (or every host):
// messages come in stream order, from the beginning of what the stream
// retains or from a given time. Each message is a batch as the publisher
// made it (batcher.hpp); exactly-once is the model's job (by sequence).
#pragma once

#include <proctree/nats/connection.hpp>

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

namespace proctree::nats {

struct FollowOptions {
    ConnectOptions connect;
    std::string subject;                        // subject_for_host(h) or kAllHostsSubject
    std::optional<std::int64_t> start_time_ns;  // none: everything retained
    std::optional<std::uint64_t> start_seq;     // from this JetStream sequence (a checkpoint's message)
};

struct Message {
    std::string subject;
    std::string data;
    std::uint64_t stream_seq = 0;
    std::int64_t time_ns = 0;   // when the server stored it
    std::uint64_t pending = 0;  // messages still to come that were stored before this one arrived
};

class Subscriber {
public:
    static std::unique_ptr<Subscriber> open(const FollowOptions& options, std::string& error);
    ~Subscriber();
    Subscriber(const Subscriber&) = delete;
    Subscriber& operator=(const Subscriber&) = delete;

    enum class Next {
        Got,
        Timeout,
        Failed
    };
    Next next(Message& out, std::chrono::milliseconds wait);
    const std::string& error() const { return error_; }
    // How many messages on the subject the stream held when we subscribed
    // (0: nothing to catch up on).
    std::uint64_t backlog_at_start() const { return backlog_; }
    // The oldest time the stream retains for the subject, 0 when unknown.
    std::int64_t first_time_ns() const { return first_time_; }

private:
    Subscriber() = default;
    struct Handles;
    std::unique_ptr<Connection> conn_;
    std::unique_ptr<Handles> h_;
    std::string error_;
    std::uint64_t backlog_ = 0;
    std::int64_t first_time_ = 0;
};

}  // namespace proctree::nats
