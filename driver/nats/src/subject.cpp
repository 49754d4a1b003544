#include <proctree/nats/subject.hpp>

#include <fmt/core.h>

namespace proctree::nats {

namespace {

bool plain(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
}

int hex_value(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;  // lowercase is never produced, so never accepted
}

}  // namespace

std::string escape_host(std::string_view host)
{
    std::string out;
    out.reserve(host.size());
    for (char ch : host) {
        auto c = static_cast<unsigned char>(ch);
        if (plain(c)) out += ch;
        else out += fmt::format("%{:02X}", c);
    }
    return out;
}

std::optional<std::string> unescape_host(std::string_view token)
{
    std::string out;
    for (std::size_t i = 0; i < token.size(); ++i) {
        auto c = static_cast<unsigned char>(token[i]);
        if (plain(c)) {
            out += token[i];
            continue;
        }
        if (c != '%' || i + 2 >= token.size()) return std::nullopt;
        int hi = hex_value(token[i + 1]);
        int lo = hex_value(token[i + 2]);
        if (hi < 0 || lo < 0) return std::nullopt;
        auto byte = static_cast<unsigned char>(hi * 16 + lo);
        if (plain(byte)) return std::nullopt;  // escape_host never escapes these
        out += static_cast<char>(byte);
        i += 2;
    }
    return out;
}

std::string subject_for_host(std::string_view host) { return std::string(kSubjectPrefix) + escape_host(host); }

std::string message_id(std::string_view host, std::uint64_t clock_origin_ns, std::uint64_t first_seq,
                       std::uint64_t last_seq)
{
    return fmt::format("{}:{}:{}-{}", escape_host(host), clock_origin_ns, first_seq, last_seq);
}

}  // namespace proctree::nats
