// The live sources this proctree ships, in the order `--source auto` tries
// them. The program, not the producer core, chooses its leaves.
#pragma once

#include <proctree/produce/source.hpp>

#include <span>

namespace proctree {

std::span<const collect::SourceFactory> linked_sources();

} // namespace proctree
