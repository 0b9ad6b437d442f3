// xarch-runtime entry point. Unlike the hook it keeps its environment and file descriptors:
// both belong to the real runtime it execs (containerd passes fds with --preserve-fds).
#include "shim/shim.hpp"

#include <exception>
#include <iostream>

int main(int argc, char** argv) {
    try {
        return shim::run(std::vector<std::string>(argv + 1, argv + argc));
    } catch (const std::exception& e) {
        std::cerr << "xarch-runtime: error: " << e.what() << "\n";
        return 1;
    }
}
