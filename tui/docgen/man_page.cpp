#include "generators.hpp"

#include <fmt/core.h>

#include <sstream>

namespace proctree::docgen {

namespace {

// scdoc reads * and _ as bold/underline toggles and \ as an escape.
std::string esc(const std::string& s)
{
    std::string out;
    for (char c : s) {
        if (c == '*' || c == '_' || c == '\\') out += '\\';
        out += c;
    }
    return out;
}

std::string option_term(const OptionDoc& o)
{
    std::string term;
    if (!o.positional.empty()) return "_" + esc(o.positional) + "_";
    for (const std::string& n : o.names) term += (term.empty() ? "*" : ", *") + esc(n) + "*";
    if (!o.value.empty()) {
        std::string value;
        for (const std::string& c : o.choices) value += (value.empty() ? "" : "|") + esc(c);
        term += " _" + (value.empty() ? esc(o.value) : value) + "_";
    }
    return term;
}

// A text line starting with - would begin a list.
std::string esc_text(const std::string& s) { return !s.empty() && s[0] == '-' ? "\\" + esc(s) : esc(s); }

std::string option_text(const OptionDoc& o)
{
    std::string text = esc_text(o.description);
    if (!text.empty() && text.back() != '.') text += '.';
    if (!o.range.empty()) text += " From " + esc(o.range) + ".";
    if (!o.default_value.empty()) text += " Default: _" + esc(o.default_value) + "_";
    if (o.required) text += " Required.";
    return text;
}

std::string options_block(const std::vector<OptionDoc>& options)
{
    std::string out;
    for (const OptionDoc& o : options) out += option_term(o) + "\n\t" + option_text(o) + "\n\n";
    if (!out.empty()) out.erase(out.size() - 2);
    return out;
}

std::string commands_block(const CliDoc& doc)
{
    std::string out;
    for (std::size_t i = 1; i < doc.commands.size(); ++i) {
        const CommandDoc& c = doc.commands[i];
        out += fmt::format("## {}\n\n{}.\n\n", esc(c.name), esc(c.description));
        out += options_block(c.options);
        out += "\n\n";
    }
    if (!out.empty()) out.erase(out.size() - 2);
    return out;
}

std::string keys_block(const CliDoc& doc)
{
    std::string out;
    for (const KeyDoc& k : doc.keys) out += "*" + esc(k.keys) + "*\n\t" + esc(k.description) + "\n\n";
    std::string notes;
    for (const std::string& n : doc.key_notes) notes += (notes.empty() ? "" : "\n") + esc(n);
    return out + notes;
}

std::string config_block(const CliDoc& doc)
{
    std::string out;
    for (const KeyDoc& k : doc.config_keys)
        out += fmt::format("\t*{}*: {} (as *--{}*).\n\n", esc(k.keys), esc(k.description), esc(k.keys));
    return out.empty() ? out : out.substr(0, out.size() - 2);
}

std::string examples_block(const CliDoc& doc)
{
    std::string out;
    for (const CommandDoc& c : doc.commands)
        for (const cli::Example& e : c.examples) out += fmt::format("*{}*\n\t{}.\n\n", esc(e.command), esc(e.purpose));
    if (!out.empty()) out.erase(out.size() - 2);
    return out;
}

void replace(std::string& text, const std::string& marker, const std::string& with)
{
    for (std::size_t at = text.find(marker); at != std::string::npos; at = text.find(marker, at + with.size()))
        text.replace(at, marker.size(), with);
}

}  // namespace

std::string man_page_scdoc(const CliDoc& doc, std::string text)
{
    replace(text, "@VERSION@", doc.version);
    replace(text, "@VIEWER_OPTIONS@", options_block(doc.commands.front().options));
    replace(text, "@COMMANDS@", commands_block(doc));
    replace(text, "@KEYS@", keys_block(doc));
    replace(text, "@EXAMPLES@", examples_block(doc));
    replace(text, "@CONFIG_KEYS@", config_block(doc));
    return text;
}

}  // namespace proctree::docgen
