#include "generators.hpp"

#include <fmt/core.h>

namespace proctree::docgen {

namespace {

std::string join(const std::vector<std::string>& words, const char* sep = " ")
{
    std::string out;
    for (const std::string& w : words) out += (out.empty() ? "" : sep) + w;
    return out;
}

std::vector<std::string> flags_of(const CommandDoc& c)
{
    std::vector<std::string> out{"-h", "--help"};
    if (c.name.empty()) out.push_back("--version");
    for (const OptionDoc& o : c.options) out.insert(out.end(), o.names.begin(), o.names.end());
    return out;
}

bool has_positional(const CommandDoc& c)
{
    for (const OptionDoc& o : c.options)
        if (!o.positional.empty()) return true;
    return false;
}

// bash: `case` arms completing an option's value: its choices, files for
// text, nothing for numbers.
std::string bash_value_arms(const CommandDoc& c)
{
    std::string out;
    for (const OptionDoc& o : c.options) {
        if (o.names.empty() || o.value.empty()) continue;
        std::string action = !o.choices.empty()
                                 ? fmt::format("COMPREPLY=($(compgen -W '{}' -- \"$cur\"))", join(o.choices))
                             : o.value == "TEXT" ? std::string("_proctree_files")
                                                 : std::string("COMPREPLY=()");
        out += fmt::format("        {}) {}; return ;;\n", join(o.names, "|"), action);
    }
    return out;
}

// zsh: an _arguments spec; [ ] : and ' would end the description early.
std::string zsh_text(const std::string& s)
{
    std::string out;
    for (char c : s) {
        if (c == '[') out += '(';
        else if (c == ']') out += ')';
        else if (c == ':') out += "\\:";
        else if (c == '\'') out += "'\\''";
        else out += c;
    }
    return out;
}

std::string zsh_specs(const CommandDoc& c, const char* indent)
{
    std::string out = fmt::format("{}'(- *)'{{-h,--help}}'[Print help]' \\\n", indent);
    if (c.name.empty()) out += fmt::format("{}'(- *)--version[Print the version]' \\\n", indent);
    for (const OptionDoc& o : c.options) {
        std::string text = zsh_text(o.description);
        if (!o.positional.empty()) {
            out += fmt::format("{}':{}:_files' \\\n", indent, zsh_text(o.positional));
            continue;
        }
        std::string action = o.value.empty()      ? ""
                             : !o.choices.empty() ? fmt::format(":{}:({})", o.value, join(o.choices))
                             : o.value == "TEXT"  ? ":file:_files"
                                                  : ":number: ";
        for (const std::string& n : o.names) out += fmt::format("{}'{}[{}]{}' \\\n", indent, n, text, action);
    }
    return out;
}

}  // namespace

std::string bash_completion(const CliDoc& doc)
{
    std::vector<std::string> names;
    for (std::size_t i = 1; i < doc.commands.size(); ++i) names.push_back(doc.commands[i].name);
    std::string out = fmt::format(R"(# bash completion for proctree {} (generated from its command line)

_proctree_files() {{
    if declare -F _filedir >/dev/null; then _filedir; else COMPREPLY=($(compgen -f -- "$cur")); fi
}}

_proctree() {{
    local cur prev words cword
    if declare -F _init_completion >/dev/null; then
        _init_completion || return
    else
        words=("${{COMP_WORDS[@]}}"); cword=$COMP_CWORD
        cur=${{COMP_WORDS[COMP_CWORD]}}; prev=${{COMP_WORDS[COMP_CWORD-1]}}
    fi
    local command="" i
    for ((i = 1; i < cword; i++)); do
        case "${{words[i]}}" in {}) command=${{words[i]}}; break ;; esac
    done
    case "$command" in
)",
                                  doc.version, join(names, "|"));
    for (const CommandDoc& c : doc.commands) {
        std::vector<std::string> words = flags_of(c);
        if (c.name.empty()) words.insert(words.end(), names.begin(), names.end());
        out += fmt::format("    \"{}\")\n        case \"$prev\" in\n{}        esac\n", c.name, bash_value_arms(c));
        if (has_positional(c)) out += "        if [[ $cur != -* ]]; then _proctree_files; return; fi\n";
        out += fmt::format("        COMPREPLY=($(compgen -W '{}' -- \"$cur\")) ;;\n", join(words));
    }
    out += "    esac\n}\ncomplete -F _proctree proctree\n";
    return out;
}

std::string zsh_completion(const CliDoc& doc)
{
    std::string out =
        fmt::format("#compdef proctree\n# zsh completion for proctree {} (generated from its command line)\n\n"
                    "_proctree() {{\n    local curcontext=\"$curcontext\" state line\n"
                    "    local -a commands\n    commands=(\n",
                    doc.version);
    for (std::size_t i = 1; i < doc.commands.size(); ++i)
        out += fmt::format("        '{}:{}'\n", doc.commands[i].name, zsh_text(doc.commands[i].description));
    out += "    )\n    _arguments -C \\\n" + zsh_specs(doc.commands.front(), "        ") +
           "        '1: :->command' \\\n        '*:: :->args'\n"
           "    case $state in\n    command) _describe -t commands 'proctree command' commands ;;\n"
           "    args)\n        case $line[1] in\n";
    for (std::size_t i = 1; i < doc.commands.size(); ++i) {
        std::string specs = zsh_specs(doc.commands[i], "                ");
        specs.erase(specs.size() - 3);  // the last " \\\n"
        out += fmt::format("        {})\n            _arguments \\\n{} ;;\n", doc.commands[i].name, specs);
    }
    out += "        esac ;;\n    esac\n}\n\n_proctree \"$@\"\n";
    return out;
}

}  // namespace proctree::docgen
