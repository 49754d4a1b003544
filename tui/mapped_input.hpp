// tui/mapped_input.hpp - a whole stream in memory, for time travel: a
// regular file is mapped (a 1 GB recording costs no copy), standard input
// is read to its end.
#pragma once

#include <cstddef>
#include <span>
#include <string>

namespace proctree::cli {

class MappedInput {
public:
    // FILE or "-"; on failure ok() is false and error() says why in one line.
    static MappedInput open(const std::string& spec);

    MappedInput(MappedInput&& other) noexcept;
    MappedInput& operator=(MappedInput&&) = delete;
    MappedInput(const MappedInput&) = delete;
    MappedInput& operator=(const MappedInput&) = delete;
    ~MappedInput();

    bool ok() const { return error_.empty(); }
    const std::string& error() const { return error_; }
    const std::string& description() const { return description_; }  // "file x.ptr", "stdin"
    std::span<const std::byte> bytes() const;

private:
    MappedInput() = default;
    void* map_ = nullptr;
    std::size_t map_len_ = 0;
    std::string read_;  // what was read when it could not be mapped
    std::string error_;
    std::string description_;
};

}  // namespace proctree::cli
