// tui/docgen/generators.hpp - text generated from the command line model.
#pragma once

#include "cli_model.hpp"

#include <string>

namespace proctree::docgen {

// The man page's scdoc source: `tmpl` (docs/proctree.1.scd) with its
// @VERSION@, @VIEWER_OPTIONS@, @COMMANDS@, @KEYS@ and @EXAMPLES@ filled in.
std::string man_page_scdoc(const CliDoc& doc, std::string tmpl);

// Completion scripts: bash (bash-completion's completions/ directory) and
// zsh (a #compdef file for $fpath).
std::string bash_completion(const CliDoc& doc);
std::string zsh_completion(const CliDoc& doc);

}  // namespace proctree::docgen
