// proctree/produce/fd_sink.hpp - a ByteSink writing to a file descriptor (a
// file, a pipe, stdout), buffered. The buffer only ever holds whole records
// handed over by write(), and flush() writes it out completely, so a stream
// cut off after a flush is valid up to its last record.
#pragma once

#include <proctree/produce/sink.hpp>

#include <string>
#include <vector>

namespace proctree::collect {

class FdSink final : public ByteSink {
public:
    // Does not take ownership of fd.
    explicit FdSink(int fd, std::size_t buffer_bytes = 64 * 1024);
    ~FdSink() override;

    bool write(const void* data, std::size_t len) override;
    void flush() override;

    bool failed() const { return failed_; }
    const std::string& error() const { return error_; }  // strerror of the failed write

private:
    bool write_all(const char* p, std::size_t len);

    int fd_;
    std::vector<char> buf_;
    std::size_t used_ = 0;
    bool failed_ = false;
    std::string error_;
};

}  // namespace proctree::collect
