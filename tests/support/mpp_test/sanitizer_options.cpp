// Fault-injection tests crash ProcessPool workers on purpose (raise(SIGSEGV)) and check that the
// caller is told which signal killed them. AddressSanitizer and ThreadSanitizer catch SIGSEGV by
// default, print a report and exit with a code instead, which would hide the signal; here a
// SIGSEGV kills the process as it does in a plain build. Environment options
// (ASAN_OPTIONS, TSAN_OPTIONS) still override these.
#if defined(__SANITIZE_ADDRESS__)
extern "C" const char* __asan_default_options();  // NOLINT(bugprone-reserved-identifier)

extern "C" const char* __asan_default_options() {  // NOLINT(bugprone-reserved-identifier)
  return "handle_segv=0:handle_abort=0";
}
#endif

#if defined(__SANITIZE_THREAD__)
extern "C" const char* __tsan_default_options();  // NOLINT(bugprone-reserved-identifier)

extern "C" const char* __tsan_default_options() {  // NOLINT(bugprone-reserved-identifier)
  return "handle_segv=0:handle_abort=0";
}
#endif
