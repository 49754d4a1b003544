// make_samples DIR: writes the sample streams of tests/data/ (and corrupted
// copies of one). The committed files are exactly this program's output; the
// test `samples_are_generated` checks that.
#include "../support/stream_builder.hpp"

#include <cstdio>
#include <cstring>
#include <fstream>
#include <string>

using proctree::testing::StreamBuilder;

namespace {

constexpr std::uint64_t kS = 1'000'000'000ull;
constexpr std::uint64_t kMs = 1'000'000ull;
constexpr std::uint64_t T0 = 1'795'000'000ull * kS;  // 2026-11-18 09:46:40 UTC

bool write(const std::string& dir, const char* name, const std::string& bytes)
{
    std::ofstream out(dir + "/" + name, std::ios::binary | std::ios::trunc);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    return static_cast<bool>(out);
}

// A Linux build machine: snapshot, a make run with short-lived compilers, a
// killed process, a lost-events burst and its resync.
StreamBuilder linux_build()
{
    StreamBuilder b("buildbox", PT_OS_LINUX, PT_SOURCE_NETLINK, T0);
    const std::uint64_t boot = T0 - 3600 * kS;
    b.snapshot(T0, true)
        .create(T0, {1, boot}, {0, 0}, "systemd", "/sbin/init", "root", "/usr/lib/systemd/systemd", 1)
        .create(T0, {412, boot + 2 * kS}, {1, boot}, "sshd", "sshd: /usr/sbin/sshd -D", "root", "/usr/sbin/sshd")
        .create(T0, {1200, boot + 60 * kS}, {412, boot + 2 * kS}, "bash", "-bash", "dev", "/usr/bin/bash")
        .create(T0, {530, boot + 3 * kS}, {1, boot}, "cron", "/usr/sbin/cron -f", "root", "/usr/sbin/cron")
        .snapshot(T0, false);
    std::uint64_t t = T0 + 100 * kMs;
    b.create(t, {2001, t}, {1200, boot + 60 * kS}, "bash", "bash", "dev")
        .exec(t + 1 * kMs, {2001, t}, "make", "make -j2 all", "/usr/bin/make");
    for (std::uint32_t i = 0; i < 4; ++i) {
        std::uint64_t s = t + (10 + 30 * i) * kMs;
        proctree::testing::Id cc{2002 + i, s};
        b.create(s, cc, {2001, t}, "make", "make -j2 all", "dev")
            .exec(s + 200'000, cc, "cc1", "cc1 -O2 src/file" + std::to_string(i) + ".c", "/usr/lib/gcc/cc1")
            .thread(s + 300'000, cc, 3000 + i, true)
            .thread(s + 5 * kMs, cc, 3000 + i, false)
            .exit(s + 25 * kMs, cc, i == 3 ? 1 : 0);
    }
    std::uint64_t u = t + 200 * kMs;
    b.create(u, {2100, u}, {1200, boot + 60 * kS}, "sleep", "sleep 1000", "dev", "/usr/bin/sleep")
        .exit(u + 400 * kMs, {2100, u}, 0, 9, PT_EXIT_SIGNALED)
        .exit(t + 300 * kMs, {2001, t}, 2);
    std::uint64_t v = t + 500 * kMs;
    b.lost(v, 0)
        .snapshot(v, true, PT_SNAPSHOT_RESYNC, 0)
        .create(v, {2200, v - 50 * kMs}, {530, boot + 3 * kS}, "backup", "backup --daily", "root")
        .snapshot(v, false, PT_SNAPSHOT_RESYNC, 0);
    return b;
}

// A Windows machine seen through proctree.sys: NTSTATUS exit codes, image
// loads, and a recorded parent id that was reused by a younger process.
StreamBuilder windows_triage()
{
    StreamBuilder b("WIN-TRIAGE", PT_OS_WINDOWS, PT_SOURCE_WINDOWS_DRIVER, T0);
    const std::uint64_t boot = T0 - 7200 * kS;
    b.snapshot(T0, true)
        .create(T0, {4, boot}, {0, 0}, "System", "", "SYSTEM")
        .create(T0, {700, boot + 5 * kS}, {4, boot}, "services.exe", "C:\\Windows\\system32\\services.exe", "SYSTEM",
                "C:\\Windows\\System32\\services.exe", 9)
        .create(T0, {5120, boot + 900 * kS}, {700, boot + 5 * kS}, "explorer.exe", "C:\\Windows\\Explorer.EXE", "alice",
                "C:\\Windows\\explorer.exe", 60)
        .snapshot(T0, false);
    std::uint64_t t = T0 + 2 * kS;
    b.create(t, {6000, t}, {5120, boot + 900 * kS}, "invoice.pdf.exe",
             "\"C:\\Users\\alice\\Downloads\\invoice.pdf.exe\"", "alice",
             "C:\\Users\\alice\\Downloads\\invoice.pdf.exe")
        .image(t + 1 * kMs, {6000, t}, "C:\\Windows\\System32\\ntdll.dll")
        .create(t + 5 * kMs, {6004, t + 5 * kMs}, {6000, t}, "cmd.exe", "cmd.exe /c whoami", "alice",
                "C:\\Windows\\System32\\cmd.exe")
        .exit(t + 9 * kMs, {6004, t + 5 * kMs}, 0)
        .exit(t + 10 * kMs, {6000, t}, static_cast<std::int32_t>(0xC0000005u));
    // pid 6000 comes back at once as an unrelated process; a late child that
    // names "6000" as its parent but started before the new 6000 is an orphan.
    b.create(t + 20 * kMs, {6000, t + 20 * kMs}, {700, boot + 5 * kS}, "svchost.exe", "svchost.exe -k netsvcs",
             "SYSTEM")
        .create(t + 21 * kMs, {6008, t + 8 * kMs}, {6000, 0}, "powershell.exe", "powershell -enc SQBFAFgA", "alice");
    return b;
}

// Names that try to take over a terminal.
StreamBuilder hostile_names()
{
    StreamBuilder b("evil\x1b[2Jhost", PT_OS_LINUX, PT_SOURCE_EBPF, T0);
    b.create(T0, {1, T0 - kS}, {0, 0}, "init")
        .create(T0 + 1, {66, T0 + 1}, {1, T0 - kS}, "\x1b]2;owned\a", "\x1b[2J\x1b[31mred --x")
        .create(T0 + 2, {67, T0 + 2}, {1, T0 - kS}, "rlo\xe2\x80\xaetxt.exe", "bad utf8 \xff\xfe")
        .create(T0 + 3, {68, T0 + 3}, {1, T0 - kS},
                "c1\xc2\x9b"
                "1m",
                std::string_view("nul\0byte", 8));
    return b;
}

// Forward compatibility: a newer producer's record types in between.
StreamBuilder future_records()
{
    StreamBuilder b("future", PT_OS_LINUX, PT_SOURCE_SYNTHETIC, T0);
    b.create(T0, {1, T0}, {0, 0}, "init")
        .unknown(T0 + 1, 200, 40)
        .create(T0 + 2, {2, T0 + 2}, {1, T0}, "child")
        .unknown(T0 + 3, 0xFFFF, 0)
        .exit(T0 + 4, {2, T0 + 2}, 0);
    return b;
}

// Image facts (minor 1): a hashed image, one replaced by an exec before its
// facts came, an unreadable one and one the hasher skipped; the short-lived
// tool's exit carries its CPU time and peak RSS (minor 1).
StreamBuilder image_facts()
{
    StreamBuilder b("hashbox", PT_OS_LINUX, PT_SOURCE_EBPF, T0);
    std::string bash_sha, make_sha;
    for (int i = 0; i < 32; ++i) {
        bash_sha += static_cast<char>(0x10 + i);
        make_sha += static_cast<char>(0xE0 - i);
    }
    b.snapshot(T0, true).create(T0, {1, T0 - kS}, {0, 0}, "bash", "-bash", "dev", "/usr/bin/bash").snapshot(T0, false);
    b.facts(T0 + kMs, {1, T0 - kS}, 1, PT_FACTS_HASHED, "/usr/bin/bash", 1265648, bash_sha);
    std::uint64_t t = T0 + 100 * kMs;
    std::uint64_t create_seq = b.next_seq();
    b.create(t, {200, t}, {1, T0 - kS}, "bash", "bash", "dev", "/usr/bin/bash");
    std::uint64_t exec_seq = b.next_seq();
    b.exec(t + kMs, {200, t}, "make", "make all", "/usr/bin/make")
        .facts(t + 2 * kMs, {200, t}, create_seq, PT_FACTS_HASHED, "/usr/bin/bash", 1265648, bash_sha)
        .facts(t + 3 * kMs, {200, t}, exec_seq, PT_FACTS_HASHED, "/usr/bin/make", 252312, make_sha);
    std::uint64_t gone_seq = b.next_seq();
    b.create(t + 4 * kMs, {201, t + 4 * kMs}, {200, t}, "tmp-tool", "./tmp-tool", "dev", "/tmp/tmp-tool")
        .exit_usage(t + 5 * kMs, {201, t + 4 * kMs}, 0, 3'250'000ull, 5'427'200ull)
        .facts(t + 6 * kMs, {201, t + 4 * kMs}, gone_seq, PT_FACTS_UNREADABLE, "/tmp/tmp-tool", 0, {}, 2);
    std::uint64_t skipped_seq = b.next_seq();
    b.create(t + 7 * kMs, {202, t + 7 * kMs}, {200, t}, "cc", "cc -c x.c", "dev", "/usr/bin/cc")
        .facts(t + 7 * kMs, {202, t + 7 * kMs}, skipped_seq, PT_FACTS_SKIPPED, "");
    return b;
}

// Re-parenting (minor 1): a double fork whose middle process exits; the
// kernel hands the grandchild to a subreaper, which later exits too, so the
// grandchild ends under init.
StreamBuilder reparenting()
{
    StreamBuilder b("orphans", PT_OS_LINUX, PT_SOURCE_NETLINK, T0);
    const std::uint64_t boot = T0 - 60 * kS;
    b.snapshot(T0, true).create(T0, {1, boot}, {0, 0}, "systemd", "/sbin/init", "root").snapshot(T0, false);
    std::uint64_t t = T0 + 100 * kMs;
    proctree::testing::Id reaper{300, t}, middle{301, t + kMs}, orphan{302, t + 2 * kMs};
    b.create(t, reaper, {1, boot}, "reaper", "reaper --subreaper", "dev")
        .create(t + kMs, middle, reaper, "sh", "sh -c (daemon &)", "dev")
        .create(t + 2 * kMs, orphan, middle, "daemon", "daemon --forever", "dev")
        .exit(t + 3 * kMs, middle, 0)
        .reparent(t + 3 * kMs, orphan, reaper, middle)
        .exit(t + 500 * kMs, reaper, 0)
        .reparent(t + 500 * kMs, orphan, {1, boot}, reaper);
    return b;
}

// Cut strings (minor 1): a 100 KB command line kept to PT_MAX_STRING with
// its whole length in the trailer, one cut by an unknown amount (the flag
// alone, as before the trailer), an exec cut by a bounded read, and a name
// holding a literal "…" that must not read as the marker.
StreamBuilder truncated_strings()
{
    StreamBuilder b("cutbox", PT_OS_LINUX, PT_SOURCE_EBPF, T0);
    const std::uint64_t boot = T0 - 60 * kS;
    b.snapshot(T0, true).create(T0, {1, boot}, {0, 0}, "systemd", "/sbin/init", "root").snapshot(T0, false);
    std::uint64_t t = T0 + 100 * kMs;
    std::string big = "java -cp " + std::string(100'000, 'x') + " Main";
    b.create(t, {400, t}, {1, boot}, "java", big, "dev", "/usr/bin/java")
        .create(t + kMs, {401, t}, {1, boot}, "old", std::string(PT_MAX_STRING, 'o'), "dev", {}, 1,
                PT_PROC_CMDLINE_TRUNCATED)
        .create(t + 2 * kMs, {402, t}, {1, boot}, "sh", "sh", "dev")
        .create_cut(t + 3 * kMs, {403, t}, {1, boot}, "wait…", "wait… …(+5 bytes)", 0);
    std::string kept(PT_MAX_STRING, 'y');
    pt_exec_args a{};
    a.proc = pt_ident{402, 0, t};
    a.uid = PT_UID_UNKNOWN;
    a.name = proctree::testing::str("long");
    a.cmdline = proctree::testing::str(kept);
    a.full.cmdline = 131'072;
    b.raw_exec(t + 4 * kMs, a);
    return b;
}

}  // namespace

int main(int argc, char** argv)
{
    if (argc != 2) {
        std::fprintf(stderr, "usage: make_samples DIR\n");
        return 2;
    }
    std::string dir = argv[1];
    std::string linux_bytes = linux_build().bytes();
    bool ok =
        write(dir, "linux-build.ptr", linux_bytes) && write(dir, "windows-triage.ptr", windows_triage().bytes()) &&
        write(dir, "hostile-names.ptr", hostile_names().bytes()) &&
        write(dir, "future-records.ptr", future_records().bytes()) &&
        write(dir, "image-facts.ptr", image_facts().bytes()) && write(dir, "reparenting.ptr", reparenting().bytes()) &&
        write(dir, "truncated-strings.ptr", truncated_strings().bytes()) &&
        write(dir, "minor0-build.ptr", linux_build().minor_version(0).bytes());
    // Corrupted copies of linux-build.ptr: cut inside its last record, and a
    // record whose size field is not a multiple of 8 (the 8th record).
    ok = ok && write(dir, "corrupt-truncated.ptr", linux_bytes.substr(0, linux_bytes.size() - 13));
    std::string bad = linux_bytes;
    std::size_t off = 48;  // stream header: 40 + "buildbox"
    for (int i = 0; i < 7; ++i) {
        std::uint32_t size;
        std::memcpy(&size, &bad[off + 4], 4);
        off += size;
    }
    std::uint32_t odd = 77;
    std::memcpy(&bad[off + 4], &odd, 4);
    ok = ok && write(dir, "corrupt-size.ptr", bad);
    if (!ok) {
        std::fprintf(stderr, "make_samples: cannot write to %s\n", dir.c_str());
        return 1;
    }
    std::printf("corrupt-size.ptr: bad record at byte %zu\n", off);
    return 0;
}
