// Internal: reading netlink messages and attributes out of received bytes,
// each field copied out (datagram bytes carry no alignment promise).
#pragma once

#include <linux/netlink.h>

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>

namespace proctree::collect {

template <typename T>
T read_at(std::span<const std::byte> bytes, std::size_t offset)
{
    T v{};
    std::memcpy(&v, bytes.data() + offset, sizeof v);
    return v;
}

// The attributes in `bytes`, each as (type, payload); false when one runs
// past the end.
template <typename Each>
bool for_each_attribute(std::span<const std::byte> bytes, Each&& each)
{
    std::size_t off = 0;
    while (off + NLA_HDRLEN <= bytes.size()) {
        const auto len = read_at<std::uint16_t>(bytes, off + offsetof(nlattr, nla_len));
        const auto type = read_at<std::uint16_t>(bytes, off + offsetof(nlattr, nla_type)) & NLA_TYPE_MASK;
        if (len < NLA_HDRLEN || len > bytes.size() - off) return false;
        each(type, bytes.subspan(off + NLA_HDRLEN, len - NLA_HDRLEN));
        off += NLA_ALIGN(len);
    }
    return true;
}

}  // namespace proctree::collect
