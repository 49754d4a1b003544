// libFuzzer target for DirectoryStream (a flight recorder's files read back
// as one stream): the input is cut into one to four files of a directory
// (the first byte says how many), read back through DirectoryStream in odd
// sized reads and decoded. Crashes, sanitizer reports and overruns fail.
#include "recording_dir.hpp"

#include <proctree/model/decoder.hpp>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <stdexcept>
#include <string>

#include <stdlib.h>
#include <unistd.h>

namespace {

struct Count : proctree::model::RecordHandler {
    std::uint64_t records = 0;
    void on_record(const proctree::model::Record&) override { ++records; }
};

// One directory for the whole run, removed at exit.
class WorkDir {
public:
    WorkDir()
    {
        char tmpl[] = "/tmp/proctree-dirfuzz-XXXXXX";
        if (!::mkdtemp(tmpl)) throw std::runtime_error("mkdtemp");
        path_ = tmpl;
    }
    ~WorkDir()
    {
        for (std::uint64_t i = 1; i <= 4; ++i) ::unlink(file(i).c_str());
        ::rmdir(path_.c_str());
    }
    const std::string& path() const { return path_; }
    std::string file(std::uint64_t index) const { return path_ + "/" + proctree::cli::recording_file_name(index); }

private:
    std::string path_;
};

void write_file(const std::string& path, const std::uint8_t* data, std::size_t len)
{
    FILE* f = std::fopen(path.c_str(), "wb");
    if (!f) throw std::runtime_error("cannot write " + path);
    if (len) std::fwrite(data, 1, len, f);
    std::fclose(f);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    if (size == 0) return 0;
    static const WorkDir dir;
    std::size_t files = 1 + data[0] % 4;
    std::size_t len = size - 1;
    for (std::uint64_t i = 1; i <= 4; ++i) ::unlink(dir.file(i).c_str());
    for (std::size_t i = 0; i < files; ++i) {
        std::size_t begin = len * i / files, end = len * (i + 1) / files;
        write_file(dir.file(i + 1), data + 1 + begin, end - begin);
    }
    proctree::cli::DirectoryStream in(dir.path());
    proctree::model::StreamDecoder decoder;
    Count count;
    char buf[13];
    for (;;) {
        long n = in.read(buf, sizeof buf);
        if (n <= 0) break;
        if (!decoder.feed(std::string_view(buf, static_cast<std::size_t>(n)), count)) break;
    }
    decoder.finish();
    return 0;
}
