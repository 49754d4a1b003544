// Follows proctree.v1.* live (from new messages on) and, for every record
// received, notes now - record time: the end-to-end latency from the
// producer's timestamp to a follower. Prints one line at the end:
//   records N latency_p50_ms X p99_ms Y max_ms Z cpu_s C
// Usage: nats_latency_probe URL SECONDS
#include <proctree/nats/batcher.hpp>
#include <proctree/nats/subject.hpp>
#include <proctree/nats/subscriber.hpp>
#include <proctree/produce/sink.hpp>

#include <fmt/core.h>

#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <string>
#include <vector>

int main(int argc, char** argv)
{
    using namespace proctree;
    if (argc != 3) {
        fmt::print(stderr, "usage: nats_latency_probe URL SECONDS\n");
        return 2;
    }
    nats::FollowOptions fo;
    fo.connect.url = argv[1];
    fo.subject = std::string(nats::kAllHostsSubject);
    fo.start_time_ns = static_cast<std::int64_t>(collect::wall_clock_ns());
    std::string error;
    auto sub = nats::Subscriber::open(fo, error);
    if (!sub) {
        fmt::print(stderr, "nats_latency_probe: {}\n", error);
        return 1;
    }
    std::vector<double> ms;
    auto end = std::chrono::steady_clock::now() + std::chrono::duration<double>(std::stod(argv[2]));
    nats::Message m;
    std::vector<nats::RecordSpan> spans;
    while (std::chrono::steady_clock::now() < end) {
        if (sub->next(m, std::chrono::milliseconds(100)) != nats::Subscriber::Next::Got) continue;
        std::uint64_t now = collect::wall_clock_ns();
        std::size_t header = 0;
        spans.clear();
        if (!nats::split_payload(m.data, header, spans)) continue;
        for (const auto& r : spans) {
            std::uint64_t t = 0;
            std::memcpy(&t, m.data.data() + r.offset + 16, sizeof t);
            ms.push_back(static_cast<double>(static_cast<std::int64_t>(now - t)) / 1e6);
        }
    }
    std::sort(ms.begin(), ms.end());
    auto at = [&](double q) { return ms.empty() ? 0.0 : ms[static_cast<std::size_t>(q * (ms.size() - 1))]; };
    rusage ru{};
    getrusage(RUSAGE_SELF, &ru);
    double cpu = ru.ru_utime.tv_sec + ru.ru_stime.tv_sec + (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
    fmt::print("records {} latency_p50_ms {:.2f} p99_ms {:.2f} max_ms {:.2f} cpu_s {:.2f}\n", ms.size(), at(0.5),
               at(0.99), ms.empty() ? 0.0 : ms.back(), cpu);
    return 0;
}
