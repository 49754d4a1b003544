// Helpers for the Linux collector unit tests: an in-memory sink, decoding
// what a source wrote through the model's one decoder, and a canned /proc.
#pragma once

#include <proctree/produce/sink.hpp>
#include <proctree/model/decoder.hpp>

#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

namespace proctree::testing {

class MemorySink final : public collect::ByteSink {
public:
    bool write(const void* data, std::size_t len) override
    {
        bytes.append(static_cast<const char*>(data), len);
        return true;
    }
    void flush() override { flushes.fetch_add(1); }
    std::string bytes;  // read it once the producer is done
    std::atomic<int> flushes{0};
};

// A decoded record with its strings copied out of the decoder's buffer.
struct Rec {
    model::Record r;
    std::string name, user, image, cmdline;
};

inline std::vector<Rec> decode(const std::string& bytes, bool with_header = true)
{
    struct Collect final : model::RecordHandler {
        std::vector<Rec> out;
        void on_record(const model::Record& record) override
        {
            Rec rec{record, {}, {}, {}, {}};
            if (auto* c = std::get_if<model::ProcessCreate>(&record.body)) {
                rec.name = c->name, rec.user = c->user, rec.image = c->image, rec.cmdline = c->cmdline;
            } else if (auto* e = std::get_if<model::ProcessExec>(&record.body)) {
                rec.name = e->name, rec.user = e->user, rec.image = e->image, rec.cmdline = e->cmdline;
            } else if (auto* n = std::get_if<model::ProcessRename>(&record.body)) {
                rec.name = n->name;
            }
            rec.r.body = record.body;
            out.push_back(std::move(rec));
        }
    } collect;
    model::StreamDecoder decoder;
    EXPECT_TRUE(decoder.feed(std::string_view(bytes), collect)) << decoder.error()->describe();
    EXPECT_TRUE(decoder.finish()) << (decoder.error() ? decoder.error()->describe() : "");
    (void)with_header;
    return collect.out;
}

// argv as /proc/PID/cmdline holds it: each argument NUL-terminated.
inline std::string nul_joined(std::initializer_list<std::string> args)
{
    std::string s;
    for (const auto& a : args) s += a + '\0';
    return s;
}

// A fake /proc: tmp dir with stat (btime) and per-process files.
class FakeProc {
public:
    explicit FakeProc(std::uint64_t btime = 1'700'000'000)
    {
        root_ = std::filesystem::temp_directory_path() /
                ("proctree-fakeproc-" + std::to_string(::getpid()) + "-" + std::to_string(counter()++));
        std::filesystem::remove_all(root_);
        std::filesystem::create_directories(root_);
        write("stat", "cpu  1 2 3 4\nintr 5\nbtime " + std::to_string(btime) + "\nprocesses 9\n");
    }
    ~FakeProc() { std::filesystem::remove_all(root_); }

    std::string root() const { return root_.string(); }

    void write(const std::string& rel, const std::string& text)
    {
        auto p = root_ / rel;
        std::filesystem::create_directories(p.parent_path());
        std::ofstream(p, std::ios::binary) << text;
    }

    // A process: stat (comm, ppid, start ticks, threads), status, cmdline (argv NUL-separated), exe.
    void add(std::uint32_t pid, std::uint32_t ppid, const std::string& comm, std::uint64_t start_ticks,
             const std::string& cmdline_nul = {}, const std::string& exe = {}, std::uint32_t uid = 0,
             std::uint64_t flags = 0, std::uint32_t threads = 1, std::uint32_t tgid = 0)
    {
        const std::string d = std::to_string(pid);
        write(d + "/stat", std::to_string(pid) + " (" + comm + ") S " + std::to_string(ppid) + " 1 1 0 -1 " +
                               std::to_string(flags) + " 0 0 0 0 0 0 0 0 20 0 " + std::to_string(threads) + " 0 " +
                               std::to_string(start_ticks) + " 1000 100 18446744073709551615\n");
        write(d + "/status", "Name:\t" + comm + "\nTgid:\t" + std::to_string(tgid ? tgid : pid) + "\nPid:\t" + d +
                                 "\nUid:\t" + std::to_string(uid) + "\t" + std::to_string(uid) + "\t" +
                                 std::to_string(uid) + "\t" + std::to_string(uid) + "\n");
        write(d + "/comm", comm + "\n");
        write(d + "/cmdline", cmdline_nul);
        std::filesystem::remove(root_ / d / "exe");
        if (!exe.empty()) std::filesystem::create_symlink(exe, root_ / d / "exe");
    }

    void remove(std::uint32_t pid) { std::filesystem::remove_all(root_ / std::to_string(pid)); }

private:
    static int& counter()
    {
        static int n = 0;
        return n;
    }
    std::filesystem::path root_;
};

}  // namespace proctree::testing
