#include "mapped_input.hpp"

#include "stream_input.hpp"

#include <sys/mman.h>
#include <sys/stat.h>

namespace proctree::cli {

MappedInput MappedInput::open(const std::string& spec)
{
    MappedInput m;
    StreamInput in = StreamInput::open(spec);
    if (!in.ok()) {
        m.error_ = in.error();
        return m;
    }
    m.description_ = in.description();
    struct stat st {};
    if (in.is_regular_file() && ::fstat(in.fd(), &st) == 0 && st.st_size > 0) {
        void* p = ::mmap(nullptr, static_cast<std::size_t>(st.st_size), PROT_READ, MAP_PRIVATE, in.fd(), 0);
        if (p != MAP_FAILED) {
            m.map_ = p;
            m.map_len_ = static_cast<std::size_t>(st.st_size);
            return m;
        }
    }
    char buf[256 * 1024];
    for (;;) {
        long n = in.read(buf, sizeof buf);
        if (n < 0) {
            m.error_ = in.error();
            return m;
        }
        if (n == 0) return m;
        m.read_.append(buf, static_cast<std::size_t>(n));
    }
}

MappedInput::MappedInput(MappedInput&& other) noexcept
    : map_(other.map_), map_len_(other.map_len_), read_(std::move(other.read_)), error_(std::move(other.error_)),
      description_(std::move(other.description_))
{
    other.map_ = nullptr;
    other.map_len_ = 0;
}

MappedInput::~MappedInput()
{
    if (map_) ::munmap(map_, map_len_);
}

std::span<const std::byte> MappedInput::bytes() const
{
    if (map_) return {static_cast<const std::byte*>(map_), map_len_};
    return {reinterpret_cast<const std::byte*>(read_.data()), read_.size()};
}

}  // namespace proctree::cli
