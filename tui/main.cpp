// proctree: a live process tree fed by kernel events. See cli.cpp.
#include "cli.hpp"

int main(int argc, char** argv) { return proctree::cli::run(argc, argv); }
