// xarch entry point: hand argv to cli::run; the only broad catch in the program.
#include "cli/cli.hpp"

#include <linux/close_range.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <exception>
#include <iostream>
#include <string>
#include <vector>

int main(int argc, char** argv) {
    // xarch starts probe programs and emulators: no descriptor it inherited may reach them.
    ::syscall(SYS_close_range, 3U, ~0U, CLOSE_RANGE_CLOEXEC);
    try {
        return cli::run(std::vector<std::string>(argv + 1, argv + argc), std::cout, std::cerr);
    } catch (const std::exception& e) {
        std::cerr << "xarch: error: " << e.what() << "\n";
        return cli::k_exit_failure;
    }
}
