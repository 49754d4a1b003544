// make_ebpf_source when the build could not include the eBPF collector
// (PROCTREE_EBPF=OFF, or clang, bpftool, libbpf or the kernel's BTF were
// missing at configure time): it says so, and what to do.
#include <proctree/ebpf/source.hpp>

#ifndef PROCTREE_EBPF_MISSING
#define PROCTREE_EBPF_MISSING "the eBPF collector was disabled"
#endif
#ifndef PROCTREE_EBPF_HINT
#define PROCTREE_EBPF_HINT "install clang, bpftool and libbpf-dev and rebuild"
#endif

namespace proctree::collect {

std::unique_ptr<Source> make_ebpf_source(const SourceOptions&, std::string& why_not)
{
    why_not = "not built into this proctree (" PROCTREE_EBPF_MISSING "): " PROCTREE_EBPF_HINT
              ", or use --source netlink or poll";
    return nullptr;
}

}  // namespace proctree::collect
