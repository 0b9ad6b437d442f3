// Linked into the programs and unit tests of a sanitizer build (XARCH_SANITIZE, XARCH_FUZZ):
// runtime options that hold whatever environment a program gets (runtimes run hooks with the
// hook entry's env, often none). ASAN_OPTIONS and UBSAN_OPTIONS still override them. With
// XARCH_SANITIZER_LOG_DIR, reports go to <dir>/report.<pid> instead of stderr (runtimes and
// test scripts often do not show a hook's stderr), where scripts/test.sh looks for them.
#ifdef XARCH_SANITIZER_LOG_DIR
#define XARCH_SANITIZER_LOG ":log_path=" XARCH_SANITIZER_LOG_DIR "/report"
#else
#define XARCH_SANITIZER_LOG ""
#endif

// halt_on_error: the first finding ends the program (UBSan too, built with -fno-sanitize-recover).
extern "C" const char* __asan_default_options() {
    return "halt_on_error=1:detect_leaks=1:detect_stack_use_after_return=1:strict_string_checks=1"
           ":check_initialization_order=1:strict_init_order=1" XARCH_SANITIZER_LOG;
}

extern "C" const char* __ubsan_default_options() { return "halt_on_error=1:print_stacktrace=1" XARCH_SANITIZER_LOG; }
