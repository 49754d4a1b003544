// tui/wire_bytes.hpp - reading and patching fields of records in a byte
// stream (little-endian, possibly unaligned), for the sinks that renumber.
#pragma once

#include <cstring>

namespace proctree::cli {

template <class T>
T load(const char* p)
{
    T v;
    std::memcpy(&v, p, sizeof v);
    return v;
}

template <class T>
void store(char* p, T v)
{
    std::memcpy(p, &v, sizeof v);
}

}  // namespace proctree::cli
