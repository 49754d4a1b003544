#include "reader.hpp"

#include <proctree/model/decoder.hpp>

#include <fmt/core.h>

#include <chrono>
#include <exception>
#include <poll.h>
#include <string>
#include <vector>

namespace proctree::viewer {

namespace {

using Steady = std::chrono::steady_clock;

// Waits until fd is readable or stop is set; false on stop.
bool wait_readable(int fd, const std::atomic<bool>& stop)
{
    while (!stop.load()) {
        pollfd p{fd, POLLIN, 0};
        int rc = ::poll(&p, 1, 100);
        if (rc > 0) return true;
    }
    return false;
}

// Sleeps until `until`, waking every 100 ms to check stop; false on stop.
bool sleep_until(Steady::time_point until, const std::atomic<bool>& stop)
{
    while (!stop.load()) {
        auto now = Steady::now();
        if (now >= until) return true;
        std::this_thread::sleep_for(std::min<Steady::duration>(until - now, std::chrono::milliseconds(100)));
    }
    return false;
}

// Decodes a recorded file only to learn where records end and when they
// happened, forwarding each record's bytes when its time has come.
class Pacer final : public model::RecordHandler {
public:
    Pacer(ByteChannel& channel, double speed, const std::atomic<bool>& stop)
        : channel_(channel), speed_(speed), stop_(stop)
    {}

    void add(const char* data, std::size_t n) { held_.append(data, n); }
    void on_record(const model::Record& r) override
    {
        if (!stopped_ && !started_) {
            started_ = true;
            t0_ = r.time_ns;
            w0_ = Steady::now();
        }
        if (!stopped_ && r.time_ns > t0_) {
            auto delay =
                std::chrono::nanoseconds(static_cast<std::int64_t>(static_cast<double>(r.time_ns - t0_) / speed_));
            if (!sleep_until(w0_ + std::chrono::duration_cast<Steady::duration>(delay), stop_)) stopped_ = true;
        }
        forward(r.offset + r.size);
    }
    void forward(std::uint64_t end)
    {
        if (end <= base_) return;
        std::size_t n = static_cast<std::size_t>(std::min<std::uint64_t>(end - base_, held_.size()));
        if (n == 0) return;
        if (!channel_.write(held_.data(), n)) stopped_ = true;
        held_.erase(0, n);
        base_ += n;
    }
    void flush_all() { forward(base_ + held_.size()); }
    bool stopped() const { return stopped_ || stop_.load(); }

private:
    ByteChannel& channel_;
    double speed_;
    const std::atomic<bool>& stop_;
    std::string held_;
    std::uint64_t base_ = 0;  // stream offset of held_[0]
    bool started_ = false;
    bool stopped_ = false;
    std::uint64_t t0_ = 0;
    Steady::time_point w0_;
};

}  // namespace

void pump_stream(cli::StreamInput& input, ByteChannel& channel, double speed, const std::atomic<bool>& stop)
{
    bool file = input.is_regular_file();
    bool paced = file && speed > 0;
    std::vector<char> chunk(64 * 1024);
    model::StreamDecoder decoder;
    Pacer pacer(channel, speed, stop);
    bool decoding = paced;
    while (!stop.load()) {
        if (!file && !wait_readable(input.fd(), stop)) break;
        long n = input.read(chunk.data(), chunk.size());
        if (n < 0) {
            if (decoding) pacer.flush_all();
            channel.finish(1, fmt::format("reading {}: {}", input.description(), input.error()));
            return;
        }
        if (n == 0) {
            if (decoding) pacer.flush_all();
            channel.finish(0, file ? "end of file" : "end of stream");
            return;
        }
        auto len = static_cast<std::size_t>(n);
        if (decoding) {
            pacer.add(chunk.data(), len);
            if (!decoder.feed(std::string_view(chunk.data(), len), pacer)) {
                decoding = false;  // corrupt: the UI's decoder reports where
                pacer.flush_all();
            }
            if (pacer.stopped()) break;
            continue;
        }
        if (!channel.write(chunk.data(), len)) break;  // waits for room: a replay loses nothing
    }
    channel.finish(0, "stopped");
}

std::unique_ptr<Reader> Reader::live(std::unique_ptr<collect::Source> source, ByteChannel& channel)
{
    std::unique_ptr<Reader> r(new Reader(channel));
    r->source_ = std::move(source);
    Reader* self = r.get();
    if (r->source_->resyncs_on_request())
        channel.drop_when_full([self](std::uint64_t lost) { self->source_->request_resync(lost); });
    r->thread_ = std::thread([self] {
        try {
            int rc = self->source_->run(self->channel_, self->stop_);
            self->channel_.finish(rc, rc == 0 ? "" : fmt::format("the source stopped (status {})", rc));
        } catch (const std::exception& e) {
            self->channel_.finish(1, fmt::format("the source failed: {}", e.what()));
        }
    });
    return r;
}

std::unique_ptr<Reader> Reader::stream(cli::StreamInput input, ByteChannel& channel, double speed)
{
    std::unique_ptr<Reader> r(new Reader(channel));
    r->input_ = std::make_unique<cli::StreamInput>(std::move(input));
    Reader* self = r.get();
    r->thread_ = std::thread([self, speed] {
        try {
            pump_stream(*self->input_, self->channel_, speed, self->stop_);
        } catch (const std::exception& e) {
            self->channel_.finish(1, fmt::format("reading failed: {}", e.what()));
        }
    });
    return r;
}

void Reader::stop()
{
    stop_.store(true);
    channel_.shut();
}

Reader::~Reader()
{
    stop();
    if (thread_.joinable()) thread_.join();
    if (source_) channel_.drop_when_full({});  // the source it would ask is going
}

}  // namespace proctree::viewer
