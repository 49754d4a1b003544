#include <proctree/model/fleet.hpp>

#include <proctree/wire.h>

#include <algorithm>
#include <functional>

namespace proctree::model {

bool starts_checkpoint(const Record& r)
{
    const auto* s = std::get_if<Snapshot>(&r.body);
    return s && s->begin && s->reason == PT_SNAPSHOT_CHECKPOINT;
}

SequenceGate::Verdict SequenceGate::check(const std::string& host, std::uint64_t clock_origin_ns, std::uint64_t seq,
                                          bool starts_checkpoint)
{
    auto [it, fresh] = next_.try_emplace({host, clock_origin_ns}, starts_checkpoint ? seq : 0);
    Verdict v;
    if (!fresh && seq < it->second) return v;  // at or below the last applied
    v.apply = true;
    v.missing = seq - it->second;
    it->second = seq + 1;
    return v;
}

struct Fleet::Host {
    explicit Host(TreeConfig config) : tree(config) {}
    ProcessTree tree;
    HostStatus status;
};

Fleet::Fleet(TreeConfig config) : config_(config) {}
Fleet::~Fleet() = default;

Fleet::Host& Fleet::host_for(const StreamHeader& header)
{
    auto it = hosts_.find(header.host);
    if (it == hosts_.end()) {
        it = hosts_.emplace(header.host, std::make_unique<Host>(config_)).first;
        it->second->tree.set_filter(filter_);
    }
    Host& h = *it->second;
    if (h.status.header.clock_origin_ns != header.clock_origin_ns || !h.tree.header()) {
        h.tree.apply_header(header);
    }
    h.status.header = header;
    return h;
}

namespace {

// Applies the records of one message that pass the gate.
class GatedFeeder final : public RecordHandler {
public:
    GatedFeeder(std::function<Fleet::Host*(const StreamHeader&)> host_for, SequenceGate& gate, Fleet::Applied& applied,
                RecordHandler* also, std::uint64_t until_ns)
        : host_for_(std::move(host_for)), gate_(gate), applied_(applied), also_(also), until_ns_(until_ns)
    {}

    void on_header(const StreamHeader& header) override
    {
        header_ = header;
        host_ = host_for_(header);
        applied_.host = header.host;
        if (also_) also_->on_header(header);
    }
    void on_record(const Record& r) override
    {
        if (r.time_ns > until_ns_) return;
        auto v = gate_.check(header_.host, header_.clock_origin_ns, r.seq, starts_checkpoint(r));
        if (!v.apply) {
            ++applied_.duplicates;
            ++host_->status.duplicates;
            return;
        }
        if (v.missing) {
            // The publisher's spool replaces what it dropped with one
            // events-lost record that counts it; otherwise the gap is the loss.
            bool accounted = r.type == PT_REC_EVENTS_LOST;
            if (!accounted) host_->status.missing += v.missing;
            applied_.missing += v.missing;
            host_->status.stale = true;
        }
        host_->tree.apply(r);
        ++host_->status.records;
        host_->status.last_record_ns = std::max(host_->status.last_record_ns, r.time_ns);
        if (r.type == PT_REC_EVENTS_LOST) host_->status.stale = true;
        if (const auto* s = std::get_if<Snapshot>(&r.body); s && !s->begin && (s->flags & PT_SNAPSHOT_COMPLETE))
            host_->status.stale = false;
        ++applied_.applied;
        if (also_) also_->on_record(r);
    }

private:
    std::function<Fleet::Host*(const StreamHeader&)> host_for_;
    SequenceGate& gate_;
    Fleet::Applied& applied_;
    RecordHandler* also_;
    std::uint64_t until_ns_;
    StreamHeader header_;
    Fleet::Host* host_ = nullptr;
};

}  // namespace

Fleet::Applied Fleet::apply_message(std::string_view payload, RecordHandler* also)
{
    Applied applied;
    GatedFeeder feeder([this](const StreamHeader& h) { return &host_for(h); }, gate_, applied, also, until_ns_);
    StreamDecoder decoder;
    if (decoder.feed(payload, feeder)) decoder.finish();
    applied.error = decoder.error();
    if (applied.applied) ++generation_;
    return applied;
}

std::vector<std::string> Fleet::hosts() const
{
    std::vector<std::string> out;
    for (const auto& [name, h] : hosts_) out.push_back(name);
    return out;
}

const ProcessTree* Fleet::tree(std::string_view host) const
{
    auto it = hosts_.find(host);
    return it == hosts_.end() ? nullptr : &it->second->tree;
}

ProcessTree* Fleet::tree(std::string_view host)
{
    auto it = hosts_.find(host);
    return it == hosts_.end() ? nullptr : &it->second->tree;
}

const HostStatus* Fleet::status(std::string_view host) const
{
    auto it = hosts_.find(host);
    return it == hosts_.end() ? nullptr : &it->second->status;
}

std::uint64_t Fleet::lost(std::string_view host) const
{
    auto it = hosts_.find(host);
    if (it == hosts_.end()) return 0;
    return it->second->status.missing + it->second->tree.stats().events_lost;
}

void Fleet::advance(std::uint64_t now_ns)
{
    for (auto& [name, h] : hosts_) h->tree.advance(now_ns);
}

void Fleet::set_filter(const Filter& filter)
{
    filter_ = filter;
    for (auto& [name, h] : hosts_) h->tree.set_filter(filter_);
    ++generation_;
}

std::uint64_t Fleet::generation() const
{
    std::uint64_t g = generation_;
    for (const auto& [name, h] : hosts_) g += h->tree.generation();
    return g;
}

}  // namespace proctree::model
