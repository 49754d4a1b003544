// Times typed by a user (seek targets) and the stream clock as text. UTC
// only: the model knows no time zones (that would need the OS).
#include <proctree/model/timeline.hpp>

#include <proctree/model/escape.hpp>
#include <proctree/model/export.hpp>

#include <fmt/core.h>

#include <cctype>
#include <limits>

namespace proctree::model {

namespace {

constexpr std::uint64_t kSecond = 1'000'000'000ull;
constexpr std::uint64_t kDay = 86'400ull * kSecond;
// The latest time a date may name: ns since the epoch as a signed 64-bit
// count, as the clock types hold them (2262-04-11).
constexpr std::uint64_t kLatest = static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max());

class Scanner {
public:
    explicit Scanner(std::string_view s) : s_(s) {}
    bool done() const { return pos_ == s_.size(); }
    bool take(char c)
    {
        if (done() || s_[pos_] != c) return false;
        ++pos_;
        return true;
    }
    // Exactly `digits` decimal digits (or 1..digits when digits is negative).
    bool number(int digits, std::uint64_t& out)
    {
        std::size_t max = static_cast<std::size_t>(digits < 0 ? -digits : digits);
        std::size_t n = 0;
        out = 0;
        while (n < max && !done() && std::isdigit(static_cast<unsigned char>(s_[pos_]))) {
            out = out * 10 + static_cast<std::uint64_t>(s_[pos_++] - '0');
            ++n;
        }
        return digits < 0 ? n > 0 : n == max;
    }
    // ".123456789": up to nine digits, as ns; nothing when there is no dot.
    bool fraction(std::uint64_t& ns)
    {
        ns = 0;
        if (!take('.')) return true;
        std::uint64_t scale = kSecond;
        std::size_t n = 0;
        while (!done() && std::isdigit(static_cast<unsigned char>(s_[pos_]))) {
            if (++n > 9) return false;
            scale /= 10;
            ns += static_cast<std::uint64_t>(s_[pos_++] - '0') * scale;
        }
        return n > 0;
    }

private:
    std::string_view s_;
    std::size_t pos_ = 0;
};

// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm).
std::int64_t days_from_civil(std::int64_t y, unsigned m, unsigned d)
{
    y -= m <= 2;
    std::int64_t era = (y >= 0 ? y : y - 399) / 400;
    auto yoe = static_cast<unsigned>(y - era * 400);
    unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

bool time_of_day(Scanner& in, std::uint64_t& ns)
{
    std::uint64_t h = 0, m = 0, s = 0, frac = 0;
    if (!in.number(-2, h) || !in.take(':') || !in.number(2, m) || !in.take(':') || !in.number(2, s) ||
        !in.fraction(frac) || h > 23 || m > 59 || s > 59)
        return false;
    ns = ((h * 60 + m) * 60 + s) * kSecond + frac;
    return true;
}

std::optional<std::uint64_t> seconds_from_start(Scanner& in, std::uint64_t start_ns)
{
    std::uint64_t whole = 0, frac = 0;
    if (!in.number(-12, whole) || !in.fraction(frac) || !in.done()) return std::nullopt;
    if (whole > (kForever - start_ns) / kSecond) return std::nullopt;  // past the end of time
    std::uint64_t offset = whole * kSecond + frac;
    if (offset > kForever - start_ns) return std::nullopt;
    return start_ns + offset;
}

std::optional<std::uint64_t> date_time(Scanner& in)
{
    std::uint64_t y = 0, mo = 0, d = 0, tod = 0;
    if (!in.number(4, y) || !in.take('-') || !in.number(2, mo) || !in.take('-') || !in.number(2, d) ||
        !(in.take(' ') || in.take('T')) || !time_of_day(in, tod) || !in.done())
        return std::nullopt;
    if (y < 1970 || mo < 1 || mo > 12 || d < 1 || d > 31) return std::nullopt;
    std::int64_t days =
        days_from_civil(static_cast<std::int64_t>(y), static_cast<unsigned>(mo), static_cast<unsigned>(d));
    std::int64_t next_month = mo == 12
                                  ? days_from_civil(static_cast<std::int64_t>(y) + 1, 1, 1)
                                  : days_from_civil(static_cast<std::int64_t>(y), static_cast<unsigned>(mo) + 1, 1);
    if (days >= next_month) return std::nullopt;  // February 30th
    if (static_cast<std::uint64_t>(days) > (kLatest - tod) / kDay) return std::nullopt;
    return static_cast<std::uint64_t>(days) * kDay + tod;
}

}  // namespace

std::optional<std::uint64_t> parse_time(std::string_view text, std::uint64_t start_ns, std::uint64_t end_ns,
                                        std::string& error)
{
    while (!text.empty() && text.front() == ' ') text.remove_prefix(1);
    while (!text.empty() && text.back() == ' ') text.remove_suffix(1);
    Scanner in(text);
    std::optional<std::uint64_t> t;
    if (in.take('+')) {
        t = seconds_from_start(in, start_ns);
    } else if (text.size() > 4 && text[4] == '-') {
        t = date_time(in);
    } else if (std::uint64_t tod = 0; time_of_day(in, tod) && in.done()) {
        std::uint64_t day = start_ns / kDay * kDay;
        if (tod <= kForever - day) {
            t = day + tod;
            if (*t < start_ns && *t <= kForever - kDay && *t + kDay <= end_ns) *t += kDay;  // past midnight
        }
    }
    if (!t)
        error = fmt::format("'{}' is not a time: use HH:MM:SS[.mmm] (UTC), +SECONDS from the start, "
                            "or YYYY-MM-DD HH:MM:SS",
                            escape(text.substr(0, 40)));
    return t;
}

std::optional<std::uint64_t> Timeline::resolve(std::string_view text, std::string& error) const
{
    if (empty()) {
        error = "the recording has no records";
        return std::nullopt;
    }
    std::optional<std::uint64_t> t = parse_time(text, first_ns_, last_ns_, error);
    if (!t) return t;
    std::uint64_t from = first_ns_ / kSecond * kSecond;  // the start's second, as a user would type it
    if (*t < from || *t > last_ns_) {
        auto when = [](std::uint64_t ns) { return format_utc(ns).substr(0, 10) + " " + format_clock(ns); };
        error = fmt::format("{} is outside the recording ({} to {} UTC)", escape(text.substr(0, 40)), when(first_ns_),
                            when(last_ns_));
        return std::nullopt;
    }
    return std::max(*t, first_ns_);
}

std::string format_clock(std::uint64_t ns)
{
    std::uint64_t ms = ns % kDay / 1'000'000ull;
    return fmt::format("{:02}:{:02}:{:02}.{:03}", ms / 3'600'000, ms / 60'000 % 60, ms / 1000 % 60, ms % 1000);
}

}  // namespace proctree::model
