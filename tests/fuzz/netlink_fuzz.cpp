// libFuzzer target for the two netlink parsers of the Linux collector: the
// proc connector's datagrams and the exit accounting's (taskstats). The
// first byte picks the parser, the rest is the datagram. Besides crashes
// and sanitizer reports: a name carried out is never longer than the
// kernel's field for it (it may fill it) and holds no NUL.
#include "exit_accounting.hpp"
#include "proc_event.hpp"

#include <linux/cn_proc.h>
#include <linux/taskstats.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>
#include <vector>

namespace {

void check(bool ok)
{
    if (!ok) std::abort();
}

// The proc connector's comm field: a name may fill it, without a NUL.
constexpr std::size_t kCommField = sizeof(proc_event{}.event_data.comm.comm);

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    if (size < 1) return 0;
    const std::span<const std::byte> datagram(reinterpret_cast<const std::byte*>(data) + 1, size - 1);
    if (data[0] % 2 == 0) {
        std::vector<proctree::collect::ProcEvent> events;
        proctree::collect::parse_proc_connector(datagram, events);
        for (const auto& ev : events) check(ev.comm.size() <= kCommField && ev.comm.find('\0') == std::string::npos);
    } else {
        std::vector<proctree::collect::ExitAccount> accounts;
        proctree::collect::parse_exit_accounting(datagram, accounts);
        for (const auto& a : accounts) check(a.comm.size() <= TS_COMM_LEN && a.comm.find('\0') == std::string::npos);
    }
    return 0;
}
