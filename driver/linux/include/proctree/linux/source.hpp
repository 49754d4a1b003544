// proctree/linux/source.hpp - the proc connector and /proc polling sources.
#pragma once

#include <proctree/linux/snapshot.hpp>
#include <proctree/produce/source.hpp>

#include <memory>
#include <string>

namespace proctree::collect {

// Each returns nullptr and sets why_not (one line, saying what to do) when
// the source cannot start here (no privilege).
std::unique_ptr<Source> make_netlink_source(const SourceOptions& options, std::string& why_not);
std::unique_ptr<Source> make_poll_source(const SourceOptions& options, std::string& why_not);

}  // namespace proctree::collect
