// libFuzzer target for the viewer's config file reader. Besides crashes and
// sanitizer reports: each bad line is reported once, in order, with a line
// number inside the text, as one printable line; and whatever settings it
// reads, write_config writes a file that reads back as the same settings
// with no problem.
#include "viewer/config.hpp"

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

namespace {

void check(bool ok)
{
    if (!ok) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    using namespace proctree::viewer;
    static const std::vector<std::string> sources{"ebpf", "netlink", "poll"};
    std::string_view text(reinterpret_cast<const char*>(data), size);
    ConfigRead r = parse_config(text, sources);
    std::size_t lines = 0;
    for (std::size_t i = 0; i < text.size(); ++i)
        if (text[i] == '\n' || i + 1 == text.size()) ++lines;
    std::size_t last = 0;
    for (const ConfigProblem& p : r.problems) {
        check(p.line > last && p.line <= lines);
        last = p.line;
        check(!p.message.empty());
        for (unsigned char c : p.message) check(c >= 0x20 && c != 0x7f);
    }
    ConfigRead back = parse_config(write_config(r.settings), sources);
    check(back.problems.empty());
    check(back.settings == r.settings);
    return 0;
}
