// proctree-docgen: writes the man page's scdoc source and the shell
// completions from proctree's own command line definitions, at build time.
//   proctree-docgen man TEMPLATE.scd OUT.scd | bash OUT | zsh OUT
#include "generators.hpp"

#include <fmt/core.h>

#include <fstream>
#include <iterator>
#include <sstream>
#include <string>

namespace {

bool write_file(const std::string& path, const std::string& text)
{
    std::ofstream out(path, std::ios::binary);
    out << text;
    out.close();
    if (!out) fmt::print(stderr, "proctree-docgen: cannot write {}\n", path);
    return static_cast<bool>(out);
}

}  // namespace

int main(int argc, char** argv)
{
    using namespace proctree::docgen;
    std::string what = argc > 1 ? argv[1] : "";
    CliDoc doc = describe_cli();
    if (what == "man" && argc == 4) {
        std::ifstream in(argv[2], std::ios::binary);
        if (!in) {
            fmt::print(stderr, "proctree-docgen: cannot read {}\n", argv[2]);
            return 1;
        }
        std::string tmpl((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
        return write_file(argv[3], man_page_scdoc(doc, tmpl)) ? 0 : 1;
    }
    if (what == "bash" && argc == 3) return write_file(argv[2], bash_completion(doc)) ? 0 : 1;
    if (what == "zsh" && argc == 3) return write_file(argv[2], zsh_completion(doc)) ? 0 : 1;
    fmt::print(stderr, "usage: proctree-docgen man TEMPLATE.scd OUT.scd | bash OUT | zsh OUT\n");
    return 2;
}
