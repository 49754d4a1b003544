// proctree/nats/connection.hpp - how proctree reaches a NATS server: URL,
// TLS (CA, client certificate), credentials file. Shared by publish and
// follow; the libnats handles stay inside this library.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

namespace proctree::nats {

struct ConnectOptions {
    std::string url;       // nats://host:port or tls://host:port
    std::string creds;     // credentials file (JWT + NKey seed)
    std::string tls_ca;    // CA certificates (PEM) the server is checked against
    std::string tls_cert;  // client certificate chain (PEM)
    std::string tls_key;   // its private key (PEM)
    std::string name;      // connection name the server shows
    std::chrono::milliseconds timeout{2000};
};

// Checks option combinations before anything connects; "" when fine, else
// one line saying what to do.
std::string check_options(const ConnectOptions& options);

class Connection;

// One line describing a libnats failure: the status text, and the server's
// own error when it sent one ("Permissions Violation for Publish to ...").
std::string describe_failure(int status, std::string_view doing, const Connection* conn);

// An established connection (with JetStream context). Reconnects on its own
// after a lost connection (libnats); connected() says whether it is up now.
class Connection {
public:
    // retry: keep trying in the background when the first attempt fails
    // (the publisher spools meanwhile); otherwise fail at once.
    static std::unique_ptr<Connection> open(const ConnectOptions& options, bool retry, std::string& error);
    ~Connection();
    Connection(const Connection&) = delete;
    Connection& operator=(const Connection&) = delete;

    bool connected() const;
    // The last error the server sent asynchronously (e.g. a permissions
    // violation), "" when none.
    std::string last_server_error() const;

    struct Handles;
    Handles& handles() const { return *h_; }

private:
    Connection() = default;
    std::unique_ptr<Handles> h_;
};

}  // namespace proctree::nats
