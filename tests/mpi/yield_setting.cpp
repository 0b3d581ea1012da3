// Prints, on rank 0, whether Open MPI yields the CPU inside its progress calls ("yield_when_idle=0"
// or "=1", read through MPI_T) once mpp::MpiPool has initialised MPI. CTest runs it oversubscribed,
// where Open MPI would yield unless told: mpp turns that off, and keeps an explicit setting.
#include <mpi.h>

#include <cstdio>

#include "mpp/mpi.hpp"

int main(int argc, char** argv) {
  mpp::MpiPool pool(argc, argv);  // ranks other than 0 serve, and end, here
  int provided = 0;
  int index = 0;
  MPI_T_cvar_handle handle = nullptr;
  int count = 0;
  bool value = false;  // Open MPI gives boolean settings as MPI_C_BOOL
  MPI_Datatype type = MPI_DATATYPE_NULL;
  if (MPI_T_init_thread(MPI_THREAD_SINGLE, &provided) != MPI_SUCCESS ||
      MPI_T_cvar_get_index("mpi_yield_when_idle", &index) != MPI_SUCCESS ||
      MPI_T_cvar_get_info(index, nullptr, nullptr, nullptr, &type, nullptr, nullptr, nullptr, nullptr,
                          nullptr) != MPI_SUCCESS ||
      type != MPI_C_BOOL || MPI_T_cvar_handle_alloc(index, nullptr, &handle, &count) != MPI_SUCCESS ||
      count != 1 || MPI_T_cvar_read(handle, &value) != MPI_SUCCESS) {
    std::fprintf(stderr, "yield_setting: cannot read mpi_yield_when_idle through MPI_T\n");
    return 2;
  }
  MPI_T_cvar_handle_free(&handle);
  MPI_T_finalize();
  std::printf("yield_when_idle=%d\n", value ? 1 : 0);
  return 0;
}
