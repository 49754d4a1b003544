// libnats handles of a Connection, for the library's own sources.
#pragma once

#include <proctree/nats/connection.hpp>

#include <nats/nats.h>

#include <mutex>
#include <string>

namespace proctree::nats {

struct Connection::Handles {
    natsOptions* opts = nullptr;
    natsConnection* nc = nullptr;
    jsCtx* js = nullptr;
    mutable std::mutex mu;
    std::string async_error;  // last error the server sent, under mu
};

}  // namespace proctree::nats
