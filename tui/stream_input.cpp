#include "stream_input.hpp"

#include "recording_dir.hpp"

#include <fmt/core.h>

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <netdb.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

namespace proctree::cli {

namespace {

int connect_tcp(const std::string& host, const std::string& port, std::string& error)
{
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    addrinfo* found = nullptr;
    if (int rc = getaddrinfo(host.c_str(), port.c_str(), &hints, &found); rc != 0) {
        error = fmt::format("cannot resolve {}: {}", host, gai_strerror(rc));
        return -1;
    }
    int fd = -1;
    int last_errno = 0;
    for (addrinfo* a = found; a; a = a->ai_next) {
        fd = ::socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC, a->ai_protocol);
        if (fd < 0) {
            last_errno = errno;
            continue;
        }
        if (::connect(fd, a->ai_addr, a->ai_addrlen) == 0) break;
        last_errno = errno;
        ::close(fd);
        fd = -1;
    }
    freeaddrinfo(found);
    if (fd < 0)
        error = fmt::format("cannot connect to {}:{}: {} (is the agent running with --listen?)", host, port,
                            std::strerror(last_errno));
    return fd;
}

}  // namespace

bool stdin_is_open() { return ::fcntl(STDIN_FILENO, F_GETFD) >= 0 || errno != EBADF; }

StreamInput StreamInput::open(const std::string& spec)
{
    StreamInput in;
    if (spec == "-" && !stdin_is_open()) {
        in.error_ = "standard input is closed: pipe a stream in, or give a file";
        return in;
    }
    if (spec == "-") {
        in.fd_ = STDIN_FILENO;
        in.description_ = "stdin";
    } else if (spec.rfind("tcp:", 0) == 0) {
        std::string rest = spec.substr(4);
        auto colon = rest.rfind(':');
        if (colon == std::string::npos || colon == 0 || colon + 1 == rest.size()) {
            in.error_ = fmt::format("'{}' is not tcp:HOST:PORT", spec);
            return in;
        }
        std::string host = rest.substr(0, colon);
        if (host.size() > 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
        in.fd_ = connect_tcp(host, rest.substr(colon + 1), in.error_);
        in.owned_ = true;
        in.description_ = "tcp " + rest;
    } else if (struct stat st{}; ::stat(spec.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) {
        auto directory = std::make_unique<DirectoryStream>(spec);
        if (!directory->ok()) {
            in.error_ = directory->error();
            return in;
        }
        in.description_ = fmt::format("directory {} ({} files)", spec, directory->file_count());
        in.regular_file_ = true;
        in.directory_ = std::move(directory);
        return in;
    } else {
        in.fd_ = ::open(spec.c_str(), O_RDONLY | O_CLOEXEC);
        if (in.fd_ < 0) {
            in.error_ = fmt::format("cannot open {}: {}", spec, std::strerror(errno));
            return in;
        }
        in.owned_ = true;
        in.description_ = "file " + spec;
    }
    struct stat st {};
    if (in.fd_ >= 0 && ::fstat(in.fd_, &st) == 0) in.regular_file_ = S_ISREG(st.st_mode);
    return in;
}

StreamInput::StreamInput(StreamInput&& other) noexcept
    : fd_(other.fd_), owned_(other.owned_), regular_file_(other.regular_file_), error_(std::move(other.error_)),
      description_(std::move(other.description_)), directory_(std::move(other.directory_))
{
    other.fd_ = -1;
    other.owned_ = false;
}

StreamInput& StreamInput::operator=(StreamInput&& other) noexcept
{
    if (this != &other) {
        if (owned_ && fd_ >= 0) ::close(fd_);
        fd_ = other.fd_;
        owned_ = other.owned_;
        regular_file_ = other.regular_file_;
        error_ = std::move(other.error_);
        description_ = std::move(other.description_);
        directory_ = std::move(other.directory_);
        other.fd_ = -1;
        other.owned_ = false;
    }
    return *this;
}

StreamInput::~StreamInput()
{
    if (owned_ && fd_ >= 0) ::close(fd_);
}

long StreamInput::read(void* buf, std::size_t cap)
{
    if (directory_) {
        long n = directory_->read(buf, cap);
        if (n < 0) error_ = directory_->error();
        return n;
    }
    for (;;) {
        ssize_t n = ::read(fd_, buf, cap);
        if (n >= 0) return static_cast<long>(n);
        if (errno == EINTR) continue;
        error_ = fmt::format("reading {}: {}", description_, std::strerror(errno));
        return -1;
    }
}

}  // namespace proctree::cli
