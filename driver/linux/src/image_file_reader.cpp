// The Linux side of image facts: stat for identity, read + nettle's SHA-256
// (small and without global initialisation, so an idle viewer stays small).
// Only the hasher's worker thread calls these; a slow disk delays facts,
// never events.
#include <proctree/linux/image_file_reader.hpp>

#include <nettle/sha2.h>

#include <array>
#include <cerrno>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <vector>

namespace proctree::collect {

namespace {

// Large enough that the syscall count does not matter, small enough that
// the buffer does not weigh on the viewer's resident size.
constexpr std::size_t kReadChunk = 64u << 10;

FileIdentity identity_of(const struct stat& st)
{
    return FileIdentity{static_cast<std::uint64_t>(st.st_dev), static_cast<std::uint64_t>(st.st_ino),
                        static_cast<std::uint64_t>(st.st_size),
                        static_cast<std::uint64_t>(st.st_mtim.tv_sec) * 1'000'000'000ull +
                            static_cast<std::uint64_t>(st.st_mtim.tv_nsec)};
}

struct Fd {
    int fd;
    ~Fd()
    {
        if (fd >= 0) ::close(fd);
    }
};

class LinuxImageFileReader final : public ImageFileReader {
public:
    bool identify(const std::string& path, FileIdentity& id, std::uint32_t& error) override
    {
        struct stat st;
        if (::stat(path.c_str(), &st) != 0) return fail(error, errno);
        if (!S_ISREG(st.st_mode)) return fail(error, EINVAL);
        id = identity_of(st);
        return true;
    }

    bool digest(const std::string& path, FileIdentity& id, Sha256& sha, std::uint32_t& error) override
    {
        // O_NONBLOCK: a FIFO put where the image was must not hang the worker.
        Fd f{::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK)};
        if (f.fd < 0) return fail(error, errno);
        struct stat before;
        if (::fstat(f.fd, &before) != 0) return fail(error, errno);
        if (!S_ISREG(before.st_mode)) return fail(error, EINVAL);
        ::posix_fadvise(f.fd, 0, 0, POSIX_FADV_SEQUENTIAL);
        sha256_ctx ctx;
        sha256_init(&ctx);
        buf_.resize(kReadChunk);
        for (;;) {
            ssize_t n = ::read(f.fd, buf_.data(), buf_.size());
            if (n < 0 && errno == EINTR) continue;
            if (n < 0) return fail(error, errno);
            if (n == 0) break;
            sha256_update(&ctx, static_cast<std::size_t>(n), buf_.data());
        }
        static_assert(std::tuple_size_v<Sha256> == SHA256_DIGEST_SIZE);
        sha256_digest(&ctx, sha.size(), sha.data());
        // Changed while read (being written): these bytes describe no version of it.
        struct stat after;
        if (::fstat(f.fd, &after) != 0) return fail(error, errno);
        if (!(identity_of(after) == identity_of(before))) return fail(error, EAGAIN);
        id = identity_of(before);
        return true;
    }

private:
    static bool fail(std::uint32_t& error, int code)
    {
        error = static_cast<std::uint32_t>(code);
        return false;
    }
    std::vector<unsigned char> buf_;
};

}  // namespace

std::unique_ptr<ImageFileReader> make_linux_image_file_reader() { return std::make_unique<LinuxImageFileReader>(); }

}  // namespace proctree::collect
