// A library that only rank 0 loads (dlopen) in MpiPool.FunctionOfALibraryOnlyRankZeroLoaded: its
// function cannot be found on the serving ranks.
extern "C" int mpp_test_plugin_triple(int x) { return 3 * x; }
