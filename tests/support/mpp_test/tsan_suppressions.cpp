// ThreadSanitizer cannot see the synchronisation inside the uninstrumented libstdc++: an exception
// shared through std::exception_ptr (a task's exception, rethrown by get() in the caller and still
// held by the job a worker releases last) is freed under libsupc++'s atomic reference count, and a
// std::logic_error/std::runtime_error message under its copy-on-write string's count. Both are
// acquire-release in the library, but TSan sees only the free on one thread after a read on
// another. These suppressions name those library frames alone, so a real race in mpp or in a
// test (neither stack in these functions) is still reported.
#if defined(__SANITIZE_THREAD__)
extern "C" const char* __tsan_default_suppressions();  // NOLINT(bugprone-reserved-identifier)

extern "C" const char* __tsan_default_suppressions() {  // NOLINT(bugprone-reserved-identifier)
  return "race:std::__exception_ptr::exception_ptr::_M_release\n"
         "race:std::logic_error::~logic_error\n"
         "race:std::runtime_error::~runtime_error\n"
         "race:__cxa_free_exception\n"
         "race:__gxx_exception_cleanup\n";
}
#endif
