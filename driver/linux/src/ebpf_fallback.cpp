// Used only when driver/linux/ebpf/ is absent from the tree: this build has
// no eBPF collector, so `--source auto` goes on to the proc connector.
#include <proctree/linux/source.hpp>

namespace proctree::collect {

std::unique_ptr<Source> make_ebpf_source(const SourceOptions&, std::string& why_not)
{
    why_not = "built without eBPF support";
    return nullptr;
}

} // namespace proctree::collect
