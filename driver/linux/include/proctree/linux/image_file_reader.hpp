// proctree/linux/image_file_reader.hpp - how Linux names and reads an
// executable for its image facts: identity (device, inode, size, mtime) by
// stat, SHA-256 by OpenSSL's EVP interface.
#pragma once

#include <proctree/produce/image_facts.hpp>

#include <memory>

namespace proctree::collect {

std::unique_ptr<ImageFileReader> make_linux_image_file_reader();

}  // namespace proctree::collect
