// libFuzzer target for the typed-time parser (`g` in the viewer, snapshot
// --at): the first 16 bytes are the recording's start and length, the rest
// the text. Besides crashes and sanitizer reports, a time it accepts must
// mean what it says: "+S" lies S seconds (at most 12 digits) after the start,
// never wrapped around; HH:MM:SS lies on the start's day or the next and
// reads back the same from format_clock; a date reads back the same from
// format_utc. A refusal is one printable line.
#include <proctree/model/export.hpp>
#include <proctree/model/timeline.hpp>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>

namespace {

constexpr std::uint64_t kSecond = 1'000'000'000ull;
constexpr std::uint64_t kDay = 86'400ull * kSecond;

void check(bool ok)
{
    if (!ok) std::abort();
}

std::string_view trimmed(std::string_view s)
{
    while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
    while (!s.empty() && s.back() == ' ') s.remove_suffix(1);
    return s;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    using namespace proctree::model;
    if (size < 16) return 0;
    std::uint64_t start = 0, length = 0;
    std::memcpy(&start, data, 8);
    std::memcpy(&length, data + 8, 8);
    std::uint64_t end = length > kForever - start ? kForever : start + length;
    std::string_view text(reinterpret_cast<const char*>(data + 16), size - 16);
    std::string error;
    std::optional<std::uint64_t> t = parse_time(text, start, end, error);
    if (!t) {
        check(!error.empty() && error.find('\n') == std::string::npos && error.size() < 300);
        return 0;
    }
    std::string_view s = trimmed(text);
    check(!s.empty());
    if (s.front() == '+') {
        check(*t >= start && (*t - start) / kSecond < 1'000'000'000'000ull);
    } else if (s.size() > 4 && s[4] == '-') {
        std::string again_error;
        auto again = parse_time(format_utc(*t).substr(0, 19), 0, 0, again_error);
        check(again && *again == *t / kSecond * kSecond);
    } else {
        check(*t / kDay == start / kDay || *t / kDay == start / kDay + 1);
        std::string again_error;
        auto again = parse_time(format_clock(*t), start, end, again_error);
        check(again && *again % kDay == *t % kDay / 1'000'000ull * 1'000'000ull);
    }
    return 0;
}
