#include "glyphs.hpp"

#include <cctype>
#include <langinfo.h>

namespace proctree::viewer {

bool is_utf8_codeset(std::string_view codeset)
{
    std::string s;
    for (char c : codeset)
        if (c != '-' && c != '_') s += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return s == "utf8";
}

std::string locale_codeset()
{
    const char* cs = ::nl_langinfo(CODESET);
    return cs ? std::string(cs) : std::string();
}

Glyphs Glyphs::select(std::string_view codeset, bool force_ascii)
{
    return force_ascii || !is_utf8_codeset(codeset) ? plain_ascii() : unicode();
}

std::string tree_prefix(std::string_view model_prefix, const Glyphs& glyphs)
{
    if (!glyphs.ascii) return std::string(model_prefix);
    // The model's prefix is made of exactly these three-column cells.
    static constexpr std::string_view kVertical = "│  ", kTee = "├─ ", kCorner = "└─ ", kBlank = "   ";
    std::string out;
    out.reserve(model_prefix.size());
    while (!model_prefix.empty()) {
        std::string_view cell;
        if (model_prefix.starts_with(kVertical)) cell = kVertical, out += glyphs.vertical;
        else if (model_prefix.starts_with(kTee)) cell = kTee, out += glyphs.tee;
        else if (model_prefix.starts_with(kCorner)) cell = kCorner, out += glyphs.corner;
        else if (model_prefix.starts_with(kBlank)) cell = kBlank, out += kBlank;
        else return out + std::string(model_prefix);  // not a prefix the model makes: unchanged
        model_prefix.remove_prefix(cell.size());
    }
    return out;
}

}  // namespace proctree::viewer
