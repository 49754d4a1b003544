// proctree/model/truncation.hpp - strings a producer cut (PT_MAX_STRING, a
// bounded read in the kernel): whether each was cut and, when the producer
// knew, how many bytes are missing. One marker for every displayed form and
// one pair of JSON members, so the screen, the text export and the JSON say
// the same thing.
#pragma once

#include <proctree/model/record.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace proctree::model {

struct Process;

enum class TextField : std::uint8_t {
    Name,
    Image,
    Cmdline
};

struct Cut {
    bool truncated = false;
    std::optional<std::uint64_t> missing;  // bytes not sent; nullopt when unknown (or not cut)
};

// From a record's or a process's flags (PT_PROC_*_TRUNCATED), whole lengths
// and the bytes kept.
Cut cut_of(std::uint32_t flags, const FullLengths& full, TextField field, std::size_t kept);
Cut cut_of(const Process& p, TextField field);

// The marker after a cut text: "" when whole, else `ellipsis` and the count
// when known: "…(+95,904 bytes)", "…". escape() never leaves a literal "…"
// (it shows U+2026 as \u{2026}) and never a backslash that starts no escape,
// so both this marker and the ASCII one ("\~") have a single reading.
inline constexpr std::string_view kCutEllipsis = "…";
std::string cut_marker(const Cut& cut, std::string_view ellipsis = kCutEllipsis);

// ,"<key>_truncated":true,"<key>_missing_bytes":95904 (false and 0 when
// whole; null when cut by an unknown amount), for the JSON outputs.
std::string cut_json(std::string_view key, const Cut& cut);

// 95904 -> "95,904".
std::string group_digits(std::uint64_t n);

}  // namespace proctree::model
