#include <proctree/model/record.hpp>
#include <proctree/wire.h>

namespace proctree::model {

std::string_view to_string(Os os)
{
    switch (os) {
    case Os::Linux: return "linux";
    case Os::Windows: return "windows";
    case Os::Unknown: break;
    }
    return "unknown";
}

std::string_view to_string(SourceKind source)
{
    switch (source) {
    case SourceKind::WindowsDriver: return "windows-driver";
    case SourceKind::Netlink: return "netlink";
    case SourceKind::Ebpf: return "ebpf";
    case SourceKind::Poll: return "poll";
    case SourceKind::Synthetic: return "synthetic";
    case SourceKind::Unknown: break;
    }
    return "unknown";
}

std::string_view record_type_name(std::uint16_t type)
{
    switch (type) {
    case PT_REC_PROCESS_CREATE: return "create";
    case PT_REC_PROCESS_EXIT: return "exit";
    case PT_REC_PROCESS_EXEC: return "exec";
    case PT_REC_PROCESS_RENAME: return "rename";
    case PT_REC_THREAD_CREATE: return "thread_create";
    case PT_REC_THREAD_EXIT: return "thread_exit";
    case PT_REC_IMAGE_LOAD: return "image_load";
    case PT_REC_SNAPSHOT_BEGIN: return "snapshot_begin";
    case PT_REC_SNAPSHOT_END: return "snapshot_end";
    case PT_REC_EVENTS_LOST: return "events_lost";
    case PT_REC_PROCESS_REPARENT: return "reparent";
    case PT_REC_IMAGE_FACTS: return "image_facts";
    default: return "unknown";
    }
}

}  // namespace proctree::model
