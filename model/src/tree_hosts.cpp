// A fleet in one tree: the hosts' streams come cut at record boundaries,
// each piece behind its host's stream header. The header makes its host
// the current one; every record after it has its identities stamped with
// that host's key, so (host, pid, start) never meets another host's
// process, and each host's processes hang under its own top-level node.
#include <proctree/model/tree.hpp>

#include <algorithm>
#include <type_traits>

namespace proctree::model {

namespace {

Identity host_id(std::uint32_t key) { return Identity{Process::kHostPid, 0, key}; }

void stamp(Identity& id, std::uint32_t host) { id.host = host; }

// Every identity a record names belongs to the host that sent it.
void stamp_body(RecordBody& body, std::uint32_t host)
{
    std::visit(
        [host](auto& b) {
            using T = std::decay_t<decltype(b)>;
            if constexpr (requires { b.proc; }) stamp(b.proc, host);
            if constexpr (std::is_same_v<T, ProcessCreate> || std::is_same_v<T, ProcessReparent>) stamp(b.parent, host);
            if constexpr (std::is_same_v<T, ProcessReparent>) stamp(b.previous, host);
        },
        body);
}

}  // namespace

void ProcessTree::apply(const Record& r)
{
    if (!current_host_) return apply_body(r);
    Record stamped = r;
    stamp_body(stamped.body, current_host_);
    note_host_record(stamped);
    apply_body(stamped);
}

void ProcessTree::note_host_record(const Record& r)
{
    HostInfo& h = hosts_[current_host_ - 1];
    ++h.records;
    h.last_record_ns = std::max(h.last_record_ns, r.time_ns);
    if (const auto* lost = std::get_if<EventsLost>(&r.body)) {
        h.events_lost += lost->count;
        ++h.loss_reports;
        h.stale = true;
    }
}

// The header names the host whose records follow; a host seen for the first
// time gets the next key and its node.
void ProcessTree::switch_host(const StreamHeader& header)
{
    if (current_host_) {
        hosts_[current_host_ - 1].in_snapshot = in_snapshot_;
        hosts_[current_host_ - 1].snapshot_complete = snapshot_complete_;
    }
    auto it = std::find_if(hosts_.begin(), hosts_.end(), [&](const HostInfo& h) { return h.name == header.host; });
    if (it == hosts_.end()) {
        hosts_.emplace_back().name = header.host;
        it = hosts_.end() - 1;
        auto key = static_cast<std::uint32_t>(hosts_.size());
        Process& n = by_id_.try_emplace(host_id(key)).first->second;
        n.id = host_id(key);
        n.host_node_ = true;
        n.serial_ = next_serial_++;
        n.from_snapshot = true;  // never New
        n.name = header.host;
        n.matches_ = name_matches(n);
        n.rows_[0] = 1;
        n.rows_[1] = n.matches_ ? 1 : 0;
        link(&root_, &n);
    }
    current_host_ = static_cast<std::uint32_t>(it - hosts_.begin()) + 1;
    it->header = header;
    in_snapshot_ = it->in_snapshot;
    snapshot_complete_ = it->snapshot_complete;
}

Process* ProcessTree::root_of(const Process& p) const
{
    if (!p.id.host) return const_cast<Process*>(&root_);
    Process* n = node(host_id(p.id.host));
    return n ? n : const_cast<Process*>(&root_);
}

void ProcessTree::count_living(const Process& p, int delta)
{
    stats_.living = static_cast<std::size_t>(static_cast<std::int64_t>(stats_.living) + delta);
    if (p.id.host && p.id.host <= hosts_.size()) {
        std::size_t& n = hosts_[p.id.host - 1].living;
        n = static_cast<std::size_t>(static_cast<std::int64_t>(n) + delta);
    }
}

const HostInfo* ProcessTree::host(std::uint32_t key) const
{
    return key && key <= hosts_.size() ? &hosts_[key - 1] : nullptr;
}

const Process* ProcessTree::host_node(std::uint32_t key) const { return key ? node(host_id(key)) : nullptr; }

}  // namespace proctree::model
