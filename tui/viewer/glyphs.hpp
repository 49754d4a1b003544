// tui/viewer/glyphs.hpp - the line-drawing characters the screen uses (tree
// lines, the collapse marker, status separators), in Unicode or ASCII. A
// terminal whose locale is not UTF-8 cannot show the Unicode ones (ncursesw
// would print blanks), so the choice follows the locale; --ascii forces it.
#pragma once

#include <string>
#include <string_view>

namespace proctree::viewer {

struct Glyphs {
    std::string_view vertical = "│  ";   // an ancestor's line running through a level
    std::string_view tee = "├─ ";        // a child with later siblings
    std::string_view corner = "└─ ";     // the last child
    std::string_view collapsed = "▶ ";   // before the name of a collapsed subtree
    std::string_view separator = " │ ";  // between status segments
    std::string_view ellipsis = "…";     // a cut text
    bool ascii = false;
    // After a string the producer cut (model/truncation.hpp): escape() leaves
    // neither a bare "…" nor a backslash that starts no escape.
    std::string_view cut = "…";

    static Glyphs unicode() { return Glyphs{}; }
    static Glyphs plain_ascii() { return Glyphs{"|  ", "|- ", "`- ", "> ", " | ", "~", true, "\\~"}; }
    // ASCII when forced or when the locale's character set (nl_langinfo
    // CODESET) is not UTF-8.
    static Glyphs select(std::string_view codeset, bool force_ascii);
};

// True for "UTF-8", "utf8", "UTF8" (glibc and others spell it differently).
bool is_utf8_codeset(std::string_view codeset);
// The current locale's character set (after setlocale).
std::string locale_codeset();

// The model's tree prefix ("│  ├─ ", always Unicode) in these glyphs.
std::string tree_prefix(std::string_view model_prefix, const Glyphs& glyphs);

}  // namespace proctree::viewer
