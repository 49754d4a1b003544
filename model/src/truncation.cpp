// Cut strings: the marker and the JSON members shared by every output.
#include <proctree/model/tree.hpp>
#include <proctree/model/truncation.hpp>
#include <proctree/wire.h>

#include <fmt/core.h>

namespace proctree::model {

Cut cut_of(std::uint32_t flags, const FullLengths& full, TextField field, std::size_t kept)
{
    std::uint32_t flag = PT_PROC_CMDLINE_TRUNCATED;
    std::uint32_t whole = full.cmdline;
    if (field == TextField::Name) flag = PT_PROC_NAME_TRUNCATED, whole = full.name;
    if (field == TextField::Image) flag = PT_PROC_IMAGE_TRUNCATED, whole = full.image;
    Cut c;
    c.truncated = (flags & flag) != 0;
    if (c.truncated && whole > kept) c.missing = whole - kept;
    return c;
}

Cut cut_of(const Process& p, TextField field)
{
    std::size_t kept = field == TextField::Name    ? p.name.size()
                       : field == TextField::Image ? p.image.size()
                                                   : p.cmdline.size();
    return cut_of(p.flags, p.full, field, kept);
}

std::string group_digits(std::uint64_t n)
{
    std::string digits = std::to_string(n);
    std::string out;
    for (std::size_t i = 0; i < digits.size(); ++i) {
        if (i && (digits.size() - i) % 3 == 0) out += ',';
        out += digits[i];
    }
    return out;
}

std::string cut_marker(const Cut& cut, std::string_view ellipsis)
{
    if (!cut.truncated) return {};
    if (!cut.missing) return std::string(ellipsis);
    return fmt::format("{}(+{} byte{})", ellipsis, group_digits(*cut.missing), *cut.missing == 1 ? "" : "s");
}

std::string cut_json(std::string_view key, const Cut& cut)
{
    std::string missing = !cut.truncated ? "0" : cut.missing ? std::to_string(*cut.missing) : "null";
    return fmt::format(",\"{}_truncated\":{},\"{}_missing_bytes\":{}", key, cut.truncated ? "true" : "false", key,
                       missing);
}

}  // namespace proctree::model
