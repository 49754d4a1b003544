// ImageFactsSink: records pass straight on (renumbered, since facts records
// are inserted between them); images go through a bounded queue to one
// worker that hashes each file version once.
#include <proctree/produce/image_facts.hpp>

#include <fmt/core.h>

#include <chrono>
#include <cstring>

namespace proctree::collect {

namespace {

constexpr std::uint64_t kNoticeEveryNs = 5'000'000'000ull;
constexpr std::chrono::milliseconds kBatchPause{10};

// The image path of a create/exec record, or empty when it has none worth
// reading (kernel threads, unknown images). The record's lengths come from
// our own writer; they are still checked against its size.
std::string_view image_of(const pt_record_header& h, const std::byte* rec, pt_ident& proc)
{
    std::uint32_t flags = 0, before = 0, image_len = 0, fixed = 0;
    if (h.type == PT_REC_PROCESS_CREATE && h.size >= PT_PROCESS_CREATE_FIXED) {
        pt_process_create r;
        std::memcpy(&r, rec, sizeof r);
        proc = r.proc;
        flags = r.flags;
        before = std::uint32_t{r.name_len} + r.user_len;
        image_len = r.image_len;
        fixed = PT_PROCESS_CREATE_FIXED;
    } else if (h.type == PT_REC_PROCESS_EXEC && h.size >= PT_PROCESS_EXEC_FIXED) {
        pt_process_exec r;
        std::memcpy(&r, rec, sizeof r);
        proc = r.proc;
        flags = r.flags;
        before = std::uint32_t{r.name_len} + r.user_len;
        image_len = r.image_len;
        fixed = PT_PROCESS_EXEC_FIXED;
    } else {
        return {};
    }
    if (flags & (PT_PROC_KERNEL_THREAD | PT_PROC_IMAGE_TRUNCATED)) return {};
    if (image_len == 0 || std::uint64_t{fixed} + before + image_len > h.size) return {};
    return std::string_view(reinterpret_cast<const char*>(rec) + fixed + before, image_len);
}

}  // namespace

ImageFactsSink::ImageFactsSink(ByteSink& inner, ImageFileReader& reader, ImageFactsOptions options)
    : inner_(inner), reader_(reader), options_(std::move(options)), buf_(PT_MAX_RECORD_SIZE)
{
    thread_ = std::thread([this] { worker(); });
}

ImageFactsSink::~ImageFactsSink() { finish(); }

bool ImageFactsSink::write(const void* data, std::size_t len)
{
    std::lock_guard lock(mutex_);
    if (failed_) return false;
    if (!header_seen_) {  // the stream header: not a record, no number
        header_seen_ = true;
        return !(failed_ = !inner_.write(data, len));
    }
    if (len < sizeof(pt_record_header) || len > buf_.size()) return !(failed_ = !inner_.write(data, len));
    std::memcpy(buf_.data(), data, len);
    pt_record_header h;
    std::memcpy(&h, buf_.data(), sizeof h);
    h.seq = seq_++;
    std::memcpy(buf_.data(), &h, sizeof h);
    if (!inner_.write(buf_.data(), len)) {
        failed_ = true;
        return false;
    }
    enqueue(h, buf_.data());
    return !failed_;
}

void ImageFactsSink::enqueue(const pt_record_header& h, const std::byte* record)
{
    pt_ident proc{};
    std::string_view image = image_of(h, record, proc);
    if (image.empty()) return;
    ++stats_.requested;
    if (queue_.size() + in_hand_ >= options_.queue_capacity || stopping_) {
        skip(h, proc);
        return;
    }
    queue_.push_back(Request{proc, h.seq, std::string(image)});
    // Collecting, the worker comes back by itself unless the queue fills.
    if (collecting_ ? queue_.size() == half_full() : queue_.size() == 1) wake_.notify_one();
}

// The worker is behind: say so in the stream, for this image, and (rarely) in words.
void ImageFactsSink::skip(const pt_record_header& h, pt_ident proc)
{
    ++stats_.skipped;
    pt_facts_args a{};
    a.proc = proc;
    a.event_seq = h.seq;
    a.status = PT_FACTS_SKIPPED;
    emit_facts(a);
    ++skips_unsaid_;
    if (options_.notice && (skip_noticed_ns_ == 0 || h.time_ns >= skip_noticed_ns_ + kNoticeEveryNs)) {
        options_.notice(
            fmt::format("image facts: hasher behind, {} image(s) not hashed (events are all kept)", skips_unsaid_));
        skip_noticed_ns_ = h.time_ns;
        skips_unsaid_ = 0;
    }
}

bool ImageFactsSink::emit_facts(const pt_facts_args& facts)
{
    if (failed_) return false;
    std::uint32_t n =
        pt_encode_image_facts(buf_.data(), static_cast<std::uint32_t>(buf_.size()), seq_, wall_clock_ns(), &facts);
    if (n == 0) return false;
    ++seq_;
    failed_ = !inner_.write(buf_.data(), n);
    return !failed_;
}

void ImageFactsSink::flush()
{
    std::lock_guard lock(mutex_);
    inner_.flush();
}

// Requests come one per exec. Answered in batches a pause apart, a storm
// costs one wake-up and one stat per distinct path per batch, and a flush
// when the worker goes idle, instead of one of each per exec. The identity
// is then read up to one pause after the exec: the worker was never in step
// with the exec anyway.
void ImageFactsSink::worker()
{
    std::unique_lock lock(mutex_);
    for (;;) {
        wake_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
        if (queue_.empty()) return;  // stopping, and everything answered
        collecting_ = true;
        while (!queue_.empty()) {
            std::deque<Request> batch;
            batch.swap(queue_);
            in_hand_ = batch.size();
            lock.unlock();
            answer(batch);
            lock.lock();
            wake_.wait_for(lock, kBatchPause, [this] { return stopping_ || queue_.size() >= half_full(); });
        }
        collecting_ = false;
        if (!failed_) inner_.flush();  // idle: let the facts out
    }
}

void ImageFactsSink::answer(const std::deque<Request>& batch)
{
    std::unordered_map<std::string_view, Identified> seen;
    for (const Request& request : batch) {
        auto [it, fresh] = seen.try_emplace(request.path);
        Identified& known = it->second;
        if (fresh) known.ok = reader_.identify(request.path, known.id, known.error);
        answer(request, known);
    }
}

// Reads (or remembers) one image and writes its facts. Runs unlocked except
// for the write: file reads never hold up the capture thread.
void ImageFactsSink::answer(const Request& request, Identified known)
{
    pt_facts_args a{};
    a.proc = request.proc;
    a.event_seq = request.event_seq;
    a.path = to_pt_str(request.path);
    FileIdentity id = known.id;
    Sha256 sha{};
    std::uint32_t error = known.error;
    bool hit = false, ok = known.ok;
    if (ok) {
        auto it = cache_.find(id);
        hit = it != cache_.end();
        if (hit) sha = it->second;
    }
    if (ok && !hit) {
        ok = reader_.digest(request.path, id, sha, error);
        if (ok) {
            if (cache_.size() >= options_.cache_entries) cache_.clear();  // rare: start over
            cache_.emplace(id, sha);
        }
    }
    a.status = ok ? PT_FACTS_HASHED : PT_FACTS_UNREADABLE;
    a.error = ok ? 0 : error;
    a.file_size = id.size;
    a.sha256 = ok ? sha.data() : nullptr;
    std::lock_guard lock(mutex_);
    --in_hand_;
    if (!ok) ++stats_.unreadable;
    else if (hit) ++stats_.cache_hits;
    else {
        ++stats_.files_read;
        stats_.bytes_read += id.size;
    }
    emit_facts(a);
}

void ImageFactsSink::finish()
{
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
    }
    wake_.notify_one();
    if (thread_.joinable()) thread_.join();
    std::lock_guard lock(mutex_);
    if (!failed_) inner_.flush();
}

ImageFactsStats ImageFactsSink::stats() const
{
    std::lock_guard lock(mutex_);
    return stats_;
}

namespace {

class ImageFactsSource final : public Source {
public:
    ImageFactsSource(std::unique_ptr<Source> inner, std::unique_ptr<ImageFileReader> reader,
                     const SourceOptions& options, ImageFactsOptions facts)
        : inner_(std::move(inner)), reader_(std::move(reader)), notice_(options.notice), facts_(std::move(facts))
    {
        if (!facts_.notice) facts_.notice = notice_;
    }
    pt_source kind() const override { return inner_->kind(); }
    void request_resync(std::uint64_t lost) override { inner_->request_resync(lost); }
    bool resyncs_on_request() const override { return inner_->resyncs_on_request(); }
    int run(ByteSink& sink, const std::atomic<bool>& stop) override
    {
        ImageFactsSink facts(sink, *reader_, facts_);
        int status = inner_->run(facts, stop);
        facts.finish();
        ImageFactsStats s = facts.stats();
        if (notice_) {
            notice_(fmt::format("image facts: {} images, {} files read ({:.1f} MiB), {} from cache, {} unreadable, "
                                "{} skipped",
                                s.requested, s.files_read, double(s.bytes_read) / (1024.0 * 1024.0), s.cache_hits,
                                s.unreadable, s.skipped));
        }
        return status;
    }

private:
    std::unique_ptr<Source> inner_;
    std::unique_ptr<ImageFileReader> reader_;
    std::function<void(std::string_view)> notice_;
    ImageFactsOptions facts_;
};

}  // namespace

std::unique_ptr<Source> with_image_facts(std::unique_ptr<Source> inner, std::unique_ptr<ImageFileReader> reader,
                                         const SourceOptions& options, ImageFactsOptions facts)
{
    if (!inner || !reader) return inner;
    return std::make_unique<ImageFactsSource>(std::move(inner), std::move(reader), options, std::move(facts));
}

}  // namespace proctree::collect
