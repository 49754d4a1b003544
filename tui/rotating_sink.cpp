#include "rotating_sink.hpp"

#include "recording_dir.hpp"
#include "wire_bytes.hpp"

#include <proctree/wire.h>

#include <fmt/core.h>

#include <cerrno>
#include <cstddef>
#include <cstring>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace proctree::cli {

std::string RotatingSink::too_small() const
{
    return fmt::format("--rotate-mb {:.3f} is too small: one file must hold a snapshot of this machine; raise it",
                       static_cast<double>(options_.max_file_bytes) / (1u << 20));
}

// The snapshot of a new file goes straight into that file, counted, with
// the writer's own sequence numbers.
class RotatingSink::FileWriter final : public collect::ByteSink {
public:
    explicit FileWriter(RotatingSink& owner) : owner_(owner) {}
    bool write(const void* data, std::size_t len) override { return owner_.put(static_cast<const char*>(data), len); }

private:
    RotatingSink& owner_;
};

std::unique_ptr<RotatingSink> RotatingSink::open(const Options& options, SnapshotWriter snapshot, std::string& error)
{
    if (::mkdir(options.dir.c_str(), 0755) != 0 && errno != EEXIST) {
        error = fmt::format("cannot create directory {}: {}", options.dir, std::strerror(errno));
        return nullptr;
    }
    std::vector<std::string> files = list_recording_files(options.dir, error);
    if (!error.empty()) return nullptr;
    std::uint64_t last = 0;
    for (const std::string& f : files) last = std::max(last, recording_file_index(f));
    return std::unique_ptr<RotatingSink>(new RotatingSink(options, std::move(snapshot), last + 1));
}

RotatingSink::RotatingSink(Options options, SnapshotWriter snapshot, std::uint64_t next_index)
    : options_(std::move(options)), snapshot_(std::move(snapshot)), next_index_(next_index)
{}

RotatingSink::~RotatingSink() { close_file(); }

bool RotatingSink::fail(std::string message)
{
    if (error_.empty()) error_ = std::move(message);
    return false;
}

bool RotatingSink::write(const void* data, std::size_t len)
{
    if (failed()) return false;
    const char* p = static_cast<const char*>(data);
    if (header_.empty()) {  // the producer's first write is its stream header
        if (len < PT_STREAM_HEADER_FIXED || std::memcmp(p, PT_WIRE_MAGIC, PT_WIRE_MAGIC_LEN) != 0)
            return fail("internal error: the source did not start with a stream header");
        std::size_t header_size = load<std::uint16_t>(p + 12);
        if (header_size < PT_STREAM_HEADER_FIXED || header_size > len)
            return fail("internal error: the source's stream header is not whole");
        header_.assign(p, header_size);
        if (!start_file()) return false;
        p += header_size;
        len -= header_size;
    }
    while (len >= sizeof(pt_record_header)) {
        std::uint32_t size = load<std::uint32_t>(p + 4);
        if (size < sizeof(pt_record_header) || size > len)
            return fail("internal error: the source wrote a partial record");
        if (!write_record(p, size)) return false;
        p += size;
        len -= size;
    }
    return len == 0 || fail("internal error: the source wrote a partial record");
}

bool RotatingSink::write_record(const char* record, std::uint32_t size)
{
    std::uint16_t type = load<std::uint16_t>(record);
    if (type == PT_REC_SNAPSHOT_BEGIN) in_source_snapshot_ = true;
    if (file_bytes_ + size > options_.max_file_bytes) {
        // The producer's own snapshot stays whole in one file; a new file
        // may start right before it.
        bool can_rotate = !in_source_snapshot_ || type == PT_REC_SNAPSHOT_BEGIN;
        if (!can_rotate || !close_file() || !start_file() || file_bytes_ + size > options_.max_file_bytes)
            return fail(too_small());
    }
    if (type == PT_REC_SNAPSHOT_END) in_source_snapshot_ = false;
    char head[sizeof(pt_record_header)];
    std::memcpy(head, record, sizeof head);
    std::uint64_t seq = file_seq_++;
    std::uint64_t producer_seq = load<std::uint64_t>(record + offsetof(pt_record_header, seq));
    if (!file_seq_base_) file_seq_base_.emplace(producer_seq, seq);
    std::memcpy(head + offsetof(pt_record_header, seq), &seq, sizeof seq);
    // Whole records only: the file sink never holds half of one.
    std::string whole(head, sizeof head);
    whole.append(record + sizeof head, size - sizeof head);
    if (type == PT_REC_IMAGE_FACTS && size >= PT_IMAGE_FACTS_FIXED) {
        // The record they describe: in this file (renumbered), or in an earlier one.
        std::uint64_t event = load<std::uint64_t>(record + offsetof(pt_image_facts, event_seq));
        auto [producer_base, file_base] = *file_seq_base_;
        event = event >= producer_base ? event - producer_base + file_base : PT_FACTS_EVENT_ELSEWHERE;
        std::memcpy(whole.data() + offsetof(pt_image_facts, event_seq), &event, sizeof event);
    }
    return put(whole.data(), whole.size());
}

bool RotatingSink::start_file()
{
    if (!prune(1)) return false;
    std::string path = options_.dir + "/" + recording_file_name(next_index_);
    fd_ = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (fd_ < 0) return fail(fmt::format("cannot create {}: {}", path, std::strerror(errno)));
    ++next_index_;
    file_ = std::make_unique<collect::FdSink>(fd_);
    file_bytes_ = 0;
    file_seq_ = 0;
    file_seq_base_.reset();
    if (!put(header_.data(), header_.size())) return false;
    // The first file gets the producer's own initial snapshot next.
    if (files_started_++ == 0) return true;
    FileWriter to_file(*this);
    collect::WireWriter writer(to_file);
    if (!snapshot_(writer)) return fail(error_.empty() ? "could not take a snapshot of /proc" : error_);
    file_seq_ = writer.records_written();
    return !failed();
}

bool RotatingSink::close_file()
{
    if (fd_ < 0) return true;
    file_->flush();
    bool ok = !file_->failed() || fail(fmt::format("writing {} failed: {}", options_.dir, file_->error()));
    file_.reset();
    if (::close(fd_) != 0 && ok)
        ok = fail(fmt::format("closing a file in {} failed: {}", options_.dir, std::strerror(errno)));
    fd_ = -1;
    return ok;
}

bool RotatingSink::prune(std::size_t room)
{
    std::string error;
    std::vector<std::string> files = list_recording_files(options_.dir, error);
    if (!error.empty()) return fail(error);
    std::vector<std::string> numbered;
    for (const std::string& f : files)
        if (recording_file_index(f) != 0) numbered.push_back(f);  // others are not ours to remove
    for (std::size_t i = 0; i < numbered.size() && numbered.size() - i + room > options_.keep; ++i) {
        std::string path = options_.dir + "/" + numbered[i];
        if (::unlink(path.c_str()) != 0 && errno != ENOENT)
            return fail(fmt::format("cannot remove {} to make room: {}", path, std::strerror(errno)));
    }
    return true;
}

bool RotatingSink::put(const char* data, std::size_t len)
{
    if (failed()) return false;
    if (file_bytes_ + len > options_.max_file_bytes)  // the bound holds for every byte
        return fail(too_small());
    if (!file_->write(data, len)) return fail(fmt::format("writing {} failed: {}", options_.dir, file_->error()));
    file_bytes_ += len;
    return true;
}

bool RotatingSink::finish()
{
    flush();
    close_file();
    return !failed();
}

void RotatingSink::flush()
{
    if (!file_ || failed()) return;
    file_->flush();
    if (file_->failed()) fail(fmt::format("writing {} failed: {}", options_.dir, file_->error()));
}

}  // namespace proctree::cli
