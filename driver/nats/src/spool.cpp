#include <proctree/nats/spool.hpp>

#include <fmt/core.h>

#include <algorithm>
#include <cstddef>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <system_error>

namespace proctree::nats {

namespace fs = std::filesystem;

namespace {

constexpr std::string_view kSuffix = ".ptbatch";

bool write_file(const std::string& path, const std::string& bytes, std::string& error)
{
    std::string tmp = path + ".tmp";
    {
        std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
        out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
        out.flush();
        if (!out) {
            error = fmt::format("cannot write {}: {}", tmp, std::strerror(errno));
            return false;
        }
    }
    std::error_code ec;
    fs::rename(tmp, path, ec);  // a file is either whole or absent
    if (ec) error = fmt::format("cannot rename {}: {}", tmp, ec.message());
    return !ec;
}

std::optional<std::string> read_file(const std::string& path)
{
    std::ifstream in(path, std::ios::binary);
    if (!in) return std::nullopt;
    std::ostringstream ss;
    ss << in.rdbuf();
    return std::move(ss).str();
}

}  // namespace

std::unique_ptr<Spool> Spool::open(const SpoolLimits& limits, std::string& error)
{
    std::unique_ptr<Spool> s(new Spool(limits));
    if (!limits.dir.empty() && !s->load_dir(error)) return nullptr;
    return s;
}

Spool::~Spool() = default;

bool Spool::load_dir(std::string& error)
{
    std::error_code ec;
    fs::create_directories(limits_.dir, ec);
    if (ec) {
        error = fmt::format("cannot create spool directory {}: {}", limits_.dir, ec.message());
        return false;
    }
    std::vector<fs::path> files;
    for (const auto& de : fs::directory_iterator(limits_.dir, ec)) {
        const auto& p = de.path();
        if (p.extension() == kSuffix) files.push_back(p);
        else if (p.extension() == ".tmp") fs::remove(p, ec);  // a write cut short
    }
    if (ec) {
        error = fmt::format("cannot read spool directory {}: {}", limits_.dir, ec.message());
        return false;
    }
    std::sort(files.begin(), files.end());  // zero-padded counters: name order is age order
    for (const auto& p : files) {
        auto bytes = read_file(p.string());
        auto info = bytes ? describe_payload(*bytes) : std::nullopt;
        std::string stem = p.stem().string();
        if (!info || stem.empty() || stem.find_first_not_of("0123456789") != std::string::npos ||
            stem.size() > 20) {  // not ours, or damaged: leave it for a human, say so
            error = fmt::format("spool file {} is not a proctree batch: move it away", p.string());
            return false;
        }
        Entry e;
        e.path = p.string();
        e.key = std::stoull(p.stem().string());
        e.size = bytes->size();
        e.last_seq = info->last_seq;
        e.last_time_ns = info->last_time_ns;
        e.records = info->records;
        e.header_size = info->header_size;
        next_key_ = std::max<std::uint64_t>(next_key_, e.key + 1);
        bytes_ += bytes->size();
        entries_.push_back(std::move(e));
    }
    return true;
}

bool Spool::to_disk(Entry& e)
{
    std::string path = (fs::path(limits_.dir) / fmt::format("{:020}{}", e.key, kSuffix)).string();
    std::string error;
    if (!write_file(path, e.payload, error)) {
        last_error_ = error;
        return false;  // kept in memory: better late than lost
    }
    memory_ -= e.payload.size();
    e.payload.clear();
    e.payload.shrink_to_fit();
    e.path = std::move(path);
    return true;
}

void Spool::forget(Entry& e)
{
    if (!e.path.empty()) {
        std::error_code ec;
        fs::remove(e.path, ec);
    } else {
        memory_ -= e.payload.size();
    }
    bytes_ -= e.size;
}

static std::uint64_t lost_count_of(const std::string& payload, std::size_t header_size)
{
    std::uint64_t count = 0;
    if (payload.size() >= header_size + sizeof(pt_events_lost))
        std::memcpy(&count, payload.data() + header_size + offsetof(pt_events_lost, count), sizeof count);
    return count;
}

bool Spool::drop_oldest_locked()
{
    // The batch in flight stays: the server may already hold it.
    std::size_t at = front_in_flight_ ? 1 : 0;
    // A marker at the head absorbs the batch after it (one loss, one record).
    bool head_marker = at < entries_.size() && entries_[at].lost_marker && entries_[at].path.empty();
    std::size_t vi = at + (head_marker ? 1 : 0);
    if (vi >= entries_.size()) return false;
    Entry victim = std::move(entries_[vi]);
    entries_.erase(entries_.begin() + static_cast<std::ptrdiff_t>(vi));
    auto bytes = read_entry(victim);
    forget(victim);
    if (!victim.lost_marker) dropped_ += victim.records;
    last_dropped_seq_ = std::max(last_dropped_seq_, victim.last_seq);
    if (!bytes) return true;  // unreadable: the consumer still sees the gap
    std::uint64_t count = victim.lost_marker ? lost_count_of(*bytes, victim.header_size) : victim.records;
    std::string head = bytes->substr(0, victim.header_size);
    if (head_marker && entries_[at].payload.compare(0, entries_[at].header_size, head) == 0) {
        Entry& m = entries_[at];
        count += lost_count_of(m.payload, m.header_size);
        memory_ -= m.size;
        bytes_ -= m.size;
        m.payload = lost_payload(head, victim.last_seq, victim.last_time_ns, count);
        m.last_seq = victim.last_seq;
        m.last_time_ns = victim.last_time_ns;
        m.size = m.payload.size();
        memory_ += m.size;
        bytes_ += m.size;
        return true;
    }
    Entry m;
    m.key = victim.key;  // in the victim's place
    m.payload = lost_payload(head, victim.last_seq, victim.last_time_ns, count);
    m.size = m.payload.size();
    m.last_seq = victim.last_seq;
    m.last_time_ns = victim.last_time_ns;
    m.records = 1;
    m.header_size = victim.header_size;
    m.lost_marker = true;
    memory_ += m.size;
    bytes_ += m.size;
    entries_.insert(entries_.begin() + static_cast<std::ptrdiff_t>(vi), std::move(m));
    return true;
}

std::optional<std::string> Spool::read_entry(const Entry& e)
{
    if (e.path.empty()) return e.payload;
    auto bytes = read_file(e.path);
    if (!bytes) last_error_ = fmt::format("cannot read {}: {}", e.path, std::strerror(errno));
    return bytes;
}

void Spool::push(Batch batch)
{
    Entry e;
    e.size = batch.payload.size();
    e.last_seq = batch.last_seq;
    e.last_time_ns = batch.last_time_ns;
    e.records = batch.records;
    e.header_size = batch.header_size;
    e.payload = std::move(batch.payload);
    {
        std::lock_guard lock(mu_);
        e.key = next_key_++;
        memory_ += e.size;
        bytes_ += e.size;
        bool keep_in_memory = limits_.dir.empty() || (online_ && memory_ <= limits_.memory_bytes);
        if (!keep_in_memory) to_disk(e);
        entries_.push_back(std::move(e));
        while (bytes_ > limits_.max_bytes && drop_oldest_locked()) {}
    }
    ready_.notify_one();
}

void Spool::set_online(bool online)
{
    std::lock_guard lock(mu_);
    online_ = online;
}

std::optional<std::string> Spool::front(std::chrono::milliseconds wait)
{
    std::unique_lock lock(mu_);
    ready_.wait_for(lock, wait, [&] { return !entries_.empty() || woken_; });
    woken_ = false;
    if (entries_.empty()) return std::nullopt;
    front_in_flight_ = true;
    return read_entry(entries_.front());
}

void Spool::pop()
{
    std::lock_guard lock(mu_);
    if (!entries_.empty()) {
        forget(entries_.front());
        entries_.pop_front();
    }
    front_in_flight_ = false;
}

void Spool::release()
{
    std::lock_guard lock(mu_);
    front_in_flight_ = false;
}

void Spool::persist()
{
    std::lock_guard lock(mu_);
    if (limits_.dir.empty()) return;
    for (auto& e : entries_)
        if (e.path.empty()) to_disk(e);
}

void Spool::wake()
{
    {
        std::lock_guard lock(mu_);
        woken_ = true;
    }
    ready_.notify_all();
}

SpoolStats Spool::stats() const
{
    std::lock_guard lock(mu_);
    return SpoolStats{entries_.size(), bytes_, memory_, dropped_, last_dropped_seq_};
}

std::string Spool::last_error() const
{
    std::lock_guard lock(mu_);
    return last_error_;
}

}  // namespace proctree::nats
