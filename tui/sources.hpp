// The live sources this proctree ships, in the order `--source auto` tries
// them. The program, not the producer core, chooses its leaves.
#pragma once

#include <proctree/produce/source.hpp>

#include <memory>
#include <span>
#include <string>

namespace proctree {

std::span<const collect::SourceFactory> linked_sources();
// open_source over linked_sources(), with image facts when options ask.
std::unique_ptr<collect::Source> open_linked_source(const collect::SourceOptions& options, std::string& error);

} // namespace proctree
