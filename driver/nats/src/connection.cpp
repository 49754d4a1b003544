#include "connection_internal.hpp"

#include <fmt/core.h>

#include <unistd.h>

namespace proctree::nats {

namespace {

extern "C" void on_async_error(natsConnection* nc, natsSubscription*, natsStatus status, void* closure)
{
    auto* h = static_cast<Connection::Handles*>(closure);
    const char* text = nullptr;
    natsConnection_GetLastError(nc, &text);
    std::lock_guard lock(h->mu);
    h->async_error = text && *text ? text : natsStatus_GetText(status);
}

// With a connected callback, a first connection that fails goes on in the
// background instead of blocking natsConnection_Connect; connected() polls.
extern "C" void on_connected(natsConnection*, void*) {}

bool readable(const std::string& path) { return ::access(path.c_str(), R_OK) == 0; }

std::string setup_tls(natsOptions* o, const ConnectOptions& opt)
{
    natsStatus s = NATS_OK;
    if (!opt.tls_ca.empty() || !opt.tls_cert.empty()) s = natsOptions_SetSecure(o, true);
    if (s == NATS_OK && !opt.tls_ca.empty()) s = natsOptions_LoadCATrustedCertificates(o, opt.tls_ca.c_str());
    if (s != NATS_OK) return fmt::format("cannot use --tls-ca {}: {}", opt.tls_ca, nats_GetLastError(nullptr));
    if (!opt.tls_cert.empty()) s = natsOptions_LoadCertificatesChain(o, opt.tls_cert.c_str(), opt.tls_key.c_str());
    if (s != NATS_OK)
        return fmt::format("cannot use --tls-cert {} / --tls-key {}: {}", opt.tls_cert, opt.tls_key,
                           nats_GetLastError(nullptr));
    return "";
}

}  // namespace

std::string check_options(const ConnectOptions& o)
{
    if (o.tls_cert.empty() != o.tls_key.empty()) return "--tls-cert and --tls-key go together: give both";
    for (const auto* f : {&o.creds, &o.tls_ca, &o.tls_cert, &o.tls_key})
        if (!f->empty() && !readable(*f)) return fmt::format("cannot read {}: check the path", *f);
    return "";
}

std::string describe_failure(int status, std::string_view doing, const Connection* conn)
{
    std::string server = conn ? conn->last_server_error() : "";
    const char* detail = nats_GetLastError(nullptr);
    std::string text = natsStatus_GetText(static_cast<natsStatus>(status));
    if (!server.empty()) return fmt::format("{}: {} ({})", doing, text, server);
    if (detail && *detail && text != detail) return fmt::format("{}: {} ({})", doing, text, detail);
    return fmt::format("{}: {}", doing, text);
}

std::unique_ptr<Connection> Connection::open(const ConnectOptions& opt, bool retry, std::string& error)
{
    if (std::string bad = check_options(opt); !bad.empty()) {
        error = bad;
        return nullptr;
    }
    std::unique_ptr<Connection> c(new Connection());
    c->h_ = std::make_unique<Handles>();
    Handles& h = *c->h_;
    if (natsOptions_Create(&h.opts) != NATS_OK) {
        error = "cannot initialise the NATS client (out of memory?)";
        return nullptr;
    }
    natsStatus s = natsOptions_SetURL(h.opts, opt.url.c_str());
    if (s == NATS_OK && !opt.name.empty()) s = natsOptions_SetName(h.opts, opt.name.c_str());
    if (s == NATS_OK) s = natsOptions_SetTimeout(h.opts, opt.timeout.count());
    if (s == NATS_OK) s = natsOptions_SetAllowReconnect(h.opts, true);
    if (s == NATS_OK) s = natsOptions_SetMaxReconnect(h.opts, -1);
    if (s == NATS_OK) s = natsOptions_SetReconnectWait(h.opts, 250);
    if (s == NATS_OK) s = natsOptions_SetReconnectJitter(h.opts, 50, 100);
    // Batches wait in proctree's own bounded spool, not in libnats' buffer.
    if (s == NATS_OK) s = natsOptions_SetReconnectBufSize(h.opts, 4 << 20);
    if (s == NATS_OK) s = natsOptions_SetErrorHandler(h.opts, on_async_error, &h);
    if (s == NATS_OK && retry) s = natsOptions_SetRetryOnFailedConnect(h.opts, true, on_connected, nullptr);
    if (s == NATS_OK && !opt.creds.empty())
        s = natsOptions_SetUserCredentialsFromFiles(h.opts, opt.creds.c_str(), nullptr);
    if (s != NATS_OK) {
        error = describe_failure(s, fmt::format("bad NATS options for {}", opt.url), nullptr);
        return nullptr;
    }
    if (std::string tls = setup_tls(h.opts, opt); !tls.empty()) {
        error = tls;
        return nullptr;
    }
    s = natsConnection_Connect(&h.nc, h.opts);
    // With retry, NATS_NOT_YET_CONNECTED means "connecting in the background".
    if (s != NATS_OK && !(retry && s == NATS_NOT_YET_CONNECTED)) {
        error = describe_failure(s, fmt::format("cannot connect to {}", opt.url), nullptr);
        return nullptr;
    }
    if (natsConnection_JetStream(&h.js, h.nc, nullptr) != NATS_OK) {
        error = "cannot start a JetStream context";
        return nullptr;
    }
    return c;
}

Connection::~Connection()
{
    if (!h_) return;
    if (h_->js) jsCtx_Destroy(h_->js);
    if (h_->nc) {
        natsConnection_Close(h_->nc);
        natsConnection_Destroy(h_->nc);
    }
    if (h_->opts) natsOptions_Destroy(h_->opts);
}

bool Connection::connected() const { return h_->nc && natsConnection_Status(h_->nc) == NATS_CONN_STATUS_CONNECTED; }

std::string Connection::last_server_error() const
{
    std::lock_guard lock(h_->mu);
    return h_->async_error;
}

}  // namespace proctree::nats
