#include <proctree/nats/subscriber.hpp>

#include <proctree/nats/subject.hpp>

#include "connection_internal.hpp"

#include <fmt/core.h>

namespace proctree::nats {

struct Subscriber::Handles {
    natsSubscription* sub = nullptr;
};

std::unique_ptr<Subscriber> Subscriber::open(const FollowOptions& options, std::string& error)
{
    if (std::string bad = check_options(options.connect); !bad.empty()) {
        error = bad;
        return nullptr;
    }
    std::unique_ptr<Subscriber> s(new Subscriber());
    s->conn_ = Connection::open(options.connect, /*retry=*/false, error);
    if (!s->conn_) return nullptr;
    s->h_ = std::make_unique<Handles>();
    auto& h = s->conn_->handles();
    std::string stream(kStreamName);
    jsSubOptions so;
    jsSubOptions_Init(&so);
    so.Stream = stream.c_str();
    so.Ordered = true;
    if (options.start_seq) {
        so.Config.DeliverPolicy = js_DeliverByStartSequence;
        so.Config.OptStartSeq = *options.start_seq;
    } else if (options.start_time_ns) {
        so.Config.DeliverPolicy = js_DeliverByStartTime;
        so.Config.OptStartTime = *options.start_time_ns;
    } else {
        so.Config.DeliverPolicy = js_DeliverAll;
    }
    jsErrCode jerr = static_cast<jsErrCode>(0);
    natsStatus st = js_SubscribeSync(&s->h_->sub, h.js, options.subject.c_str(), nullptr, &so, &jerr);
    if (st != NATS_OK) {
        if (st == NATS_NOT_FOUND || jerr == JSStreamNotFoundErr)
            error = fmt::format("{} has no stream {}: no publisher has run against it yet "
                                "(start `proctree publish --nats {}`)",
                                options.connect.url, kStreamName, options.connect.url);
        else
            error = describe_failure(st, fmt::format("cannot follow {} on {}", options.subject, options.connect.url),
                                     s->conn_.get());
        return nullptr;
    }
    jsConsumerInfo* ci = nullptr;
    if (natsSubscription_GetConsumerInfo(&ci, s->h_->sub, nullptr, &jerr) == NATS_OK && ci) {
        s->backlog_ = ci->NumPending + ci->Delivered.Consumer;
        jsConsumerInfo_Destroy(ci);
    }
    return s;
}

Subscriber::~Subscriber()
{
    if (h_ && h_->sub) {
        natsSubscription_Unsubscribe(h_->sub);
        natsSubscription_Destroy(h_->sub);
    }
}

Subscriber::Next Subscriber::next(Message& out, std::chrono::milliseconds wait)
{
    natsMsg* msg = nullptr;
    natsStatus st = natsSubscription_NextMsg(&msg, h_->sub, wait.count());
    if (st == NATS_TIMEOUT) return Next::Timeout;
    if (st != NATS_OK) {
        error_ = describe_failure(st, "following the stream", conn_.get());
        return Next::Failed;
    }
    out.subject = natsMsg_GetSubject(msg);
    out.data.assign(natsMsg_GetData(msg), static_cast<std::size_t>(natsMsg_GetDataLength(msg)));
    jsMsgMetaData* meta = nullptr;
    if (natsMsg_GetMetaData(&meta, msg) == NATS_OK && meta) {
        out.stream_seq = meta->Sequence.Stream;
        out.time_ns = meta->Timestamp;
        out.pending = meta->NumPending;
        jsMsgMetaData_Destroy(meta);
    }
    natsMsg_Destroy(msg);
    return Next::Got;
}

}  // namespace proctree::nats
