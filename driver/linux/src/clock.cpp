#include <proctree/linux/clock.hpp>

namespace proctree::collect {

std::uint64_t clock_ns(clockid_t id)
{
    timespec ts{};
    ::clock_gettime(id, &ts);
    return static_cast<std::uint64_t>(ts.tv_sec) * 1'000'000'000ull + static_cast<std::uint64_t>(ts.tv_nsec);
}

}  // namespace proctree::collect
