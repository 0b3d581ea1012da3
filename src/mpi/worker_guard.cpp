// The MPI calls that communicate, defined in front of the MPI library's own, so that a task calling
// one in a local worker gets a clear error instead of corrupting its rank's connections. A program
// linking mpp::mpi gets these definitions with MpiPool itself (this file also defines
// prepare_local_worker, which the relay uses), ahead of libmpi's. Each goes on to the next
// definition of its name (dlsym RTLD_NEXT): a tracing tool's loaded with LD_PRELOAD still sees the
// call, else libmpi's; its PMPI_ twin where there is none (MPI linked statically). Calls that only
// read local state (MPI_Comm_rank, MPI_Wtime) are not defined here.

#include "mpi/worker_guard.hpp"

#include <dlfcn.h>
#include <mpi.h>

#include <csignal>
#include <string>

#include "mpp/errors.hpp"

namespace mpp::detail::mpi {
namespace {

// Written once in a fresh worker before it starts any thread; never in a rank.
bool g_in_local_worker = false;

[[noreturn]] void refuse(const char* call) {
  throw Error(std::string("mpp::MpiPool: a task called ") + call +
              " in a local worker process, which must not use its rank's MPI connections; a task "
              "that calls MPI runs in the rank itself (MpiPoolOptions::workers_per_rank = 0)");
}

template <class Function>
Function next_definition(const char* name, Function fallback) noexcept {
  void* next = ::dlsym(RTLD_NEXT, name);
  return next != nullptr ? reinterpret_cast<Function>(next) : fallback;
}

}  // namespace

void prepare_local_worker() noexcept {
  for (const int fault : {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT}) ::signal(fault, SIG_DFL);
  g_in_local_worker = true;
}

}  // namespace mpp::detail::mpi

// NOLINTBEGIN: the names and signatures are mpi.h's.
#define MPP_GUARDED(name, params, args)                                                     \
  extern "C" int MPI_##name params {                                                        \
    if (mpp::detail::mpi::g_in_local_worker) [[unlikely]]                                   \
      mpp::detail::mpi::refuse("MPI_" #name);                                               \
    static const auto next = mpp::detail::mpi::next_definition("MPI_" #name, &PMPI_##name); \
    return next args;                                                                       \
  }

// Point to point.
MPP_GUARDED(Send, (const void* b, int n, MPI_Datatype t, int to, int tag, MPI_Comm c), (b, n, t, to, tag, c))
MPP_GUARDED(Ssend, (const void* b, int n, MPI_Datatype t, int to, int tag, MPI_Comm c), (b, n, t, to, tag, c))
MPP_GUARDED(Bsend, (const void* b, int n, MPI_Datatype t, int to, int tag, MPI_Comm c), (b, n, t, to, tag, c))
MPP_GUARDED(Rsend, (const void* b, int n, MPI_Datatype t, int to, int tag, MPI_Comm c), (b, n, t, to, tag, c))
MPP_GUARDED(Isend, (const void* b, int n, MPI_Datatype t, int to, int tag, MPI_Comm c, MPI_Request* r),
            (b, n, t, to, tag, c, r))
MPP_GUARDED(Issend, (const void* b, int n, MPI_Datatype t, int to, int tag, MPI_Comm c, MPI_Request* r),
            (b, n, t, to, tag, c, r))
MPP_GUARDED(Ibsend, (const void* b, int n, MPI_Datatype t, int to, int tag, MPI_Comm c, MPI_Request* r),
            (b, n, t, to, tag, c, r))
MPP_GUARDED(Irsend, (const void* b, int n, MPI_Datatype t, int to, int tag, MPI_Comm c, MPI_Request* r),
            (b, n, t, to, tag, c, r))
MPP_GUARDED(Recv, (void* b, int n, MPI_Datatype t, int from, int tag, MPI_Comm c, MPI_Status* s),
            (b, n, t, from, tag, c, s))
MPP_GUARDED(Irecv, (void* b, int n, MPI_Datatype t, int from, int tag, MPI_Comm c, MPI_Request* r),
            (b, n, t, from, tag, c, r))
MPP_GUARDED(Sendrecv,
            (const void* sb, int sn, MPI_Datatype st, int to, int stag, void* rb, int rn, MPI_Datatype rt,
             int from, int rtag, MPI_Comm c, MPI_Status* s),
            (sb, sn, st, to, stag, rb, rn, rt, from, rtag, c, s))
MPP_GUARDED(Sendrecv_replace,
            (void* b, int n, MPI_Datatype t, int to, int stag, int from, int rtag, MPI_Comm c, MPI_Status* s),
            (b, n, t, to, stag, from, rtag, c, s))
MPP_GUARDED(Probe, (int from, int tag, MPI_Comm c, MPI_Status* s), (from, tag, c, s))
MPP_GUARDED(Iprobe, (int from, int tag, MPI_Comm c, int* f, MPI_Status* s), (from, tag, c, f, s))
MPP_GUARDED(Mprobe, (int from, int tag, MPI_Comm c, MPI_Message* m, MPI_Status* s), (from, tag, c, m, s))
MPP_GUARDED(Improbe, (int from, int tag, MPI_Comm c, int* f, MPI_Message* m, MPI_Status* s),
            (from, tag, c, f, m, s))
MPP_GUARDED(Send_init, (const void* b, int n, MPI_Datatype t, int to, int tag, MPI_Comm c, MPI_Request* r),
            (b, n, t, to, tag, c, r))
MPP_GUARDED(Recv_init, (void* b, int n, MPI_Datatype t, int from, int tag, MPI_Comm c, MPI_Request* r),
            (b, n, t, from, tag, c, r))
MPP_GUARDED(Mrecv, (void* b, int n, MPI_Datatype t, MPI_Message* m, MPI_Status* s), (b, n, t, m, s))
MPP_GUARDED(Imrecv, (void* b, int n, MPI_Datatype t, MPI_Message* m, MPI_Request* r), (b, n, t, m, r))
MPP_GUARDED(Bsend_init, (const void* b, int n, MPI_Datatype t, int to, int tag, MPI_Comm c, MPI_Request* r),
            (b, n, t, to, tag, c, r))
MPP_GUARDED(Ssend_init, (const void* b, int n, MPI_Datatype t, int to, int tag, MPI_Comm c, MPI_Request* r),
            (b, n, t, to, tag, c, r))
MPP_GUARDED(Rsend_init, (const void* b, int n, MPI_Datatype t, int to, int tag, MPI_Comm c, MPI_Request* r),
            (b, n, t, to, tag, c, r))
MPP_GUARDED(Start, (MPI_Request * r), (r))
MPP_GUARDED(Startall, (int n, MPI_Request r[]), (n, r))
MPP_GUARDED(Wait, (MPI_Request * r, MPI_Status* s), (r, s))
MPP_GUARDED(Waitall, (int n, MPI_Request r[], MPI_Status* s), (n, r, s))
MPP_GUARDED(Waitany, (int n, MPI_Request r[], int* i, MPI_Status* s), (n, r, i, s))
MPP_GUARDED(Waitsome, (int n, MPI_Request r[], int* out, int i[], MPI_Status s[]), (n, r, out, i, s))
MPP_GUARDED(Test, (MPI_Request * r, int* f, MPI_Status* s), (r, f, s))
MPP_GUARDED(Testall, (int n, MPI_Request r[], int* f, MPI_Status s[]), (n, r, f, s))
MPP_GUARDED(Testany, (int n, MPI_Request r[], int* i, int* f, MPI_Status* s), (n, r, i, f, s))
MPP_GUARDED(Testsome, (int n, MPI_Request r[], int* out, int i[], MPI_Status s[]), (n, r, out, i, s))
// Collectives.
MPP_GUARDED(Barrier, (MPI_Comm c), (c))
MPP_GUARDED(Bcast, (void* b, int n, MPI_Datatype t, int root, MPI_Comm c), (b, n, t, root, c))
MPP_GUARDED(Reduce, (const void* sb, void* rb, int n, MPI_Datatype t, MPI_Op op, int root, MPI_Comm c),
            (sb, rb, n, t, op, root, c))
MPP_GUARDED(Allreduce, (const void* sb, void* rb, int n, MPI_Datatype t, MPI_Op op, MPI_Comm c),
            (sb, rb, n, t, op, c))
MPP_GUARDED(Gather,
            (const void* sb, int sn, MPI_Datatype st, void* rb, int rn, MPI_Datatype rt, int root,
             MPI_Comm c),
            (sb, sn, st, rb, rn, rt, root, c))
MPP_GUARDED(Scatter,
            (const void* sb, int sn, MPI_Datatype st, void* rb, int rn, MPI_Datatype rt, int root,
             MPI_Comm c),
            (sb, sn, st, rb, rn, rt, root, c))
MPP_GUARDED(Allgather,
            (const void* sb, int sn, MPI_Datatype st, void* rb, int rn, MPI_Datatype rt, MPI_Comm c),
            (sb, sn, st, rb, rn, rt, c))
MPP_GUARDED(Alltoall,
            (const void* sb, int sn, MPI_Datatype st, void* rb, int rn, MPI_Datatype rt, MPI_Comm c),
            (sb, sn, st, rb, rn, rt, c))
MPP_GUARDED(Scan, (const void* sb, void* rb, int n, MPI_Datatype t, MPI_Op op, MPI_Comm c),
            (sb, rb, n, t, op, c))
MPP_GUARDED(Gatherv,
            (const void* sb, int sn, MPI_Datatype st, void* rb, const int rn[], const int d[],
             MPI_Datatype rt, int root, MPI_Comm c),
            (sb, sn, st, rb, rn, d, rt, root, c))
MPP_GUARDED(Scatterv,
            (const void* sb, const int sn[], const int d[], MPI_Datatype st, void* rb, int rn,
             MPI_Datatype rt, int root, MPI_Comm c),
            (sb, sn, d, st, rb, rn, rt, root, c))
MPP_GUARDED(Allgatherv,
            (const void* sb, int sn, MPI_Datatype st, void* rb, const int rn[], const int d[],
             MPI_Datatype rt, MPI_Comm c),
            (sb, sn, st, rb, rn, d, rt, c))
MPP_GUARDED(Alltoallv,
            (const void* sb, const int sn[], const int sd[], MPI_Datatype st, void* rb, const int rn[],
             const int rd[], MPI_Datatype rt, MPI_Comm c),
            (sb, sn, sd, st, rb, rn, rd, rt, c))
MPP_GUARDED(Reduce_scatter, (const void* sb, void* rb, const int rn[], MPI_Datatype t, MPI_Op op, MPI_Comm c),
            (sb, rb, rn, t, op, c))
MPP_GUARDED(Exscan, (const void* sb, void* rb, int n, MPI_Datatype t, MPI_Op op, MPI_Comm c),
            (sb, rb, n, t, op, c))
MPP_GUARDED(Ibarrier, (MPI_Comm c, MPI_Request* r), (c, r))
MPP_GUARDED(Ibcast, (void* b, int n, MPI_Datatype t, int root, MPI_Comm c, MPI_Request* r),
            (b, n, t, root, c, r))
MPP_GUARDED(Ireduce,
            (const void* sb, void* rb, int n, MPI_Datatype t, MPI_Op op, int root, MPI_Comm c,
             MPI_Request* r),
            (sb, rb, n, t, op, root, c, r))
MPP_GUARDED(Iallreduce,
            (const void* sb, void* rb, int n, MPI_Datatype t, MPI_Op op, MPI_Comm c, MPI_Request* r),
            (sb, rb, n, t, op, c, r))
MPP_GUARDED(Alltoallw,
            (const void* sb, const int sn[], const int sd[], const MPI_Datatype st[], void* rb,
             const int rn[], const int rd[], const MPI_Datatype rt[], MPI_Comm c),
            (sb, sn, sd, st, rb, rn, rd, rt, c))
MPP_GUARDED(Reduce_scatter_block, (const void* sb, void* rb, int n, MPI_Datatype t, MPI_Op op, MPI_Comm c),
            (sb, rb, n, t, op, c))
MPP_GUARDED(Igather,
            (const void* sb, int sn, MPI_Datatype st, void* rb, int rn, MPI_Datatype rt, int root, MPI_Comm c,
             MPI_Request* r),
            (sb, sn, st, rb, rn, rt, root, c, r))
MPP_GUARDED(Igatherv,
            (const void* sb, int sn, MPI_Datatype st, void* rb, const int rn[], const int d[],
             MPI_Datatype rt, int root, MPI_Comm c, MPI_Request* r),
            (sb, sn, st, rb, rn, d, rt, root, c, r))
MPP_GUARDED(Iscatter,
            (const void* sb, int sn, MPI_Datatype st, void* rb, int rn, MPI_Datatype rt, int root, MPI_Comm c,
             MPI_Request* r),
            (sb, sn, st, rb, rn, rt, root, c, r))
MPP_GUARDED(Iscatterv,
            (const void* sb, const int sn[], const int d[], MPI_Datatype st, void* rb, int rn,
             MPI_Datatype rt, int root, MPI_Comm c, MPI_Request* r),
            (sb, sn, d, st, rb, rn, rt, root, c, r))
MPP_GUARDED(Iallgather,
            (const void* sb, int sn, MPI_Datatype st, void* rb, int rn, MPI_Datatype rt, MPI_Comm c,
             MPI_Request* r),
            (sb, sn, st, rb, rn, rt, c, r))
MPP_GUARDED(Iallgatherv,
            (const void* sb, int sn, MPI_Datatype st, void* rb, const int rn[], const int d[],
             MPI_Datatype rt, MPI_Comm c, MPI_Request* r),
            (sb, sn, st, rb, rn, d, rt, c, r))
MPP_GUARDED(Ialltoall,
            (const void* sb, int sn, MPI_Datatype st, void* rb, int rn, MPI_Datatype rt, MPI_Comm c,
             MPI_Request* r),
            (sb, sn, st, rb, rn, rt, c, r))
MPP_GUARDED(Ialltoallv,
            (const void* sb, const int sn[], const int sd[], MPI_Datatype st, void* rb, const int rn[],
             const int rd[], MPI_Datatype rt, MPI_Comm c, MPI_Request* r),
            (sb, sn, sd, st, rb, rn, rd, rt, c, r))
MPP_GUARDED(Ialltoallw,
            (const void* sb, const int sn[], const int sd[], const MPI_Datatype st[], void* rb,
             const int rn[], const int rd[], const MPI_Datatype rt[], MPI_Comm c, MPI_Request* r),
            (sb, sn, sd, st, rb, rn, rd, rt, c, r))
MPP_GUARDED(Ireduce_scatter,
            (const void* sb, void* rb, const int rn[], MPI_Datatype t, MPI_Op op, MPI_Comm c, MPI_Request* r),
            (sb, rb, rn, t, op, c, r))
MPP_GUARDED(Ireduce_scatter_block,
            (const void* sb, void* rb, int n, MPI_Datatype t, MPI_Op op, MPI_Comm c, MPI_Request* r),
            (sb, rb, n, t, op, c, r))
MPP_GUARDED(Iscan, (const void* sb, void* rb, int n, MPI_Datatype t, MPI_Op op, MPI_Comm c, MPI_Request* r),
            (sb, rb, n, t, op, c, r))
MPP_GUARDED(Iexscan, (const void* sb, void* rb, int n, MPI_Datatype t, MPI_Op op, MPI_Comm c, MPI_Request* r),
            (sb, rb, n, t, op, c, r))
// Neighbourhood collectives (over a topology communicator made in the rank).
MPP_GUARDED(Neighbor_allgather,
            (const void* sb, int sn, MPI_Datatype st, void* rb, int rn, MPI_Datatype rt, MPI_Comm c),
            (sb, sn, st, rb, rn, rt, c))
MPP_GUARDED(Neighbor_allgatherv,
            (const void* sb, int sn, MPI_Datatype st, void* rb, const int rn[], const int d[],
             MPI_Datatype rt, MPI_Comm c),
            (sb, sn, st, rb, rn, d, rt, c))
MPP_GUARDED(Neighbor_alltoall,
            (const void* sb, int sn, MPI_Datatype st, void* rb, int rn, MPI_Datatype rt, MPI_Comm c),
            (sb, sn, st, rb, rn, rt, c))
MPP_GUARDED(Neighbor_alltoallv,
            (const void* sb, const int sn[], const int sd[], MPI_Datatype st, void* rb, const int rn[],
             const int rd[], MPI_Datatype rt, MPI_Comm c),
            (sb, sn, sd, st, rb, rn, rd, rt, c))
MPP_GUARDED(Neighbor_alltoallw,
            (const void* sb, const int sn[], const MPI_Aint sd[], const MPI_Datatype st[], void* rb,
             const int rn[], const MPI_Aint rd[], const MPI_Datatype rt[], MPI_Comm c),
            (sb, sn, sd, st, rb, rn, rd, rt, c))
MPP_GUARDED(Ineighbor_allgather,
            (const void* sb, int sn, MPI_Datatype st, void* rb, int rn, MPI_Datatype rt, MPI_Comm c,
             MPI_Request* r),
            (sb, sn, st, rb, rn, rt, c, r))
MPP_GUARDED(Ineighbor_allgatherv,
            (const void* sb, int sn, MPI_Datatype st, void* rb, const int rn[], const int d[],
             MPI_Datatype rt, MPI_Comm c, MPI_Request* r),
            (sb, sn, st, rb, rn, d, rt, c, r))
MPP_GUARDED(Ineighbor_alltoall,
            (const void* sb, int sn, MPI_Datatype st, void* rb, int rn, MPI_Datatype rt, MPI_Comm c,
             MPI_Request* r),
            (sb, sn, st, rb, rn, rt, c, r))
MPP_GUARDED(Ineighbor_alltoallv,
            (const void* sb, const int sn[], const int sd[], MPI_Datatype st, void* rb, const int rn[],
             const int rd[], MPI_Datatype rt, MPI_Comm c, MPI_Request* r),
            (sb, sn, sd, st, rb, rn, rd, rt, c, r))
MPP_GUARDED(Ineighbor_alltoallw,
            (const void* sb, const int sn[], const MPI_Aint sd[], const MPI_Datatype st[], void* rb,
             const int rn[], const MPI_Aint rd[], const MPI_Datatype rt[], MPI_Comm c, MPI_Request* r),
            (sb, sn, sd, st, rb, rn, rd, rt, c, r))
// New communicators, processes, windows and files (collective over the rank's communicators).
MPP_GUARDED(Comm_dup, (MPI_Comm c, MPI_Comm* out), (c, out))
MPP_GUARDED(Comm_split, (MPI_Comm c, int colour, int key, MPI_Comm* out), (c, colour, key, out))
MPP_GUARDED(Comm_idup, (MPI_Comm c, MPI_Comm* out, MPI_Request* r), (c, out, r))
MPP_GUARDED(Comm_dup_with_info, (MPI_Comm c, MPI_Info info, MPI_Comm* out), (c, info, out))
MPP_GUARDED(Comm_create_group, (MPI_Comm c, MPI_Group g, int tag, MPI_Comm* out), (c, g, tag, out))
MPP_GUARDED(Intercomm_merge, (MPI_Comm c, int high, MPI_Comm* out), (c, high, out))
MPP_GUARDED(Graph_create,
            (MPI_Comm c, int n, const int index[], const int edges[], int reorder, MPI_Comm* out),
            (c, n, index, edges, reorder, out))
MPP_GUARDED(Dist_graph_create,
            (MPI_Comm c, int n, const int nodes[], const int degrees[], const int targets[],
             const int weights[], MPI_Info info, int reorder, MPI_Comm* out),
            (c, n, nodes, degrees, targets, weights, info, reorder, out))
MPP_GUARDED(Dist_graph_create_adjacent,
            (MPI_Comm c, int in, const int sources[], const int sw[], int out_degree,
             const int destinations[], const int dw[], MPI_Info info, int reorder, MPI_Comm* out),
            (c, in, sources, sw, out_degree, destinations, dw, info, reorder, out))
MPP_GUARDED(Cart_create,
            (MPI_Comm c, int n, const int dims[], const int periods[], int reorder, MPI_Comm* out),
            (c, n, dims, periods, reorder, out))
MPP_GUARDED(Comm_create, (MPI_Comm c, MPI_Group g, MPI_Comm* out), (c, g, out))
MPP_GUARDED(Comm_split_type, (MPI_Comm c, int type, int key, MPI_Info info, MPI_Comm* out),
            (c, type, key, info, out))
MPP_GUARDED(Intercomm_create,
            (MPI_Comm local, int leader, MPI_Comm bridge, int remote, int tag, MPI_Comm* out),
            (local, leader, bridge, remote, tag, out))
MPP_GUARDED(Comm_spawn,
            (const char* command, char* argv[], int n, MPI_Info info, int root, MPI_Comm c, MPI_Comm* out,
             int errors[]),
            (command, argv, n, info, root, c, out, errors))
MPP_GUARDED(Win_allocate, (MPI_Aint size, int unit, MPI_Info info, MPI_Comm c, void* base, MPI_Win* w),
            (size, unit, info, c, base, w))
MPP_GUARDED(Put,
            (const void* o, int on, MPI_Datatype ot, int target, MPI_Aint d, int tn, MPI_Datatype tt,
             MPI_Win w),
            (o, on, ot, target, d, tn, tt, w))
MPP_GUARDED(Get,
            (void* o, int on, MPI_Datatype ot, int target, MPI_Aint d, int tn, MPI_Datatype tt, MPI_Win w),
            (o, on, ot, target, d, tn, tt, w))
MPP_GUARDED(Win_fence, (int assertion, MPI_Win w), (assertion, w))
MPP_GUARDED(File_open, (MPI_Comm c, const char* name, int mode, MPI_Info info, MPI_File* f),
            (c, name, mode, info, f))
MPP_GUARDED(Win_create, (void* base, MPI_Aint size, int unit, MPI_Info info, MPI_Comm c, MPI_Win* w),
            (base, size, unit, info, c, w))
// One-sided traffic and the synchronisation of windows (a window the rank made before the fork).
MPP_GUARDED(Accumulate,
            (const void* o, int on, MPI_Datatype ot, int target, MPI_Aint d, int tn, MPI_Datatype tt,
             MPI_Op op, MPI_Win w),
            (o, on, ot, target, d, tn, tt, op, w))
MPP_GUARDED(Get_accumulate,
            (const void* o, int on, MPI_Datatype ot, void* r, int rn, MPI_Datatype rt, int target, MPI_Aint d,
             int tn, MPI_Datatype tt, MPI_Op op, MPI_Win w),
            (o, on, ot, r, rn, rt, target, d, tn, tt, op, w))
MPP_GUARDED(Fetch_and_op,
            (const void* o, void* r, MPI_Datatype t, int target, MPI_Aint d, MPI_Op op, MPI_Win w),
            (o, r, t, target, d, op, w))
MPP_GUARDED(Compare_and_swap,
            (const void* o, const void* c, void* r, MPI_Datatype t, int target, MPI_Aint d, MPI_Win w),
            (o, c, r, t, target, d, w))
MPP_GUARDED(Rput,
            (const void* o, int on, MPI_Datatype ot, int target, MPI_Aint d, int tn, MPI_Datatype tt,
             MPI_Win w, MPI_Request* q),
            (o, on, ot, target, d, tn, tt, w, q))
MPP_GUARDED(Rget,
            (void* o, int on, MPI_Datatype ot, int target, MPI_Aint d, int tn, MPI_Datatype tt, MPI_Win w,
             MPI_Request* q),
            (o, on, ot, target, d, tn, tt, w, q))
MPP_GUARDED(Raccumulate,
            (const void* o, int on, MPI_Datatype ot, int target, MPI_Aint d, int tn, MPI_Datatype tt,
             MPI_Op op, MPI_Win w, MPI_Request* q),
            (o, on, ot, target, d, tn, tt, op, w, q))
MPP_GUARDED(Rget_accumulate,
            (const void* o, int on, MPI_Datatype ot, void* r, int rn, MPI_Datatype rt, int target, MPI_Aint d,
             int tn, MPI_Datatype tt, MPI_Op op, MPI_Win w, MPI_Request* q),
            (o, on, ot, r, rn, rt, target, d, tn, tt, op, w, q))
MPP_GUARDED(Win_lock, (int type, int rank, int assertion, MPI_Win w), (type, rank, assertion, w))
MPP_GUARDED(Win_unlock, (int rank, MPI_Win w), (rank, w))
MPP_GUARDED(Win_lock_all, (int assertion, MPI_Win w), (assertion, w))
MPP_GUARDED(Win_unlock_all, (MPI_Win w), (w))
MPP_GUARDED(Win_flush, (int rank, MPI_Win w), (rank, w))
MPP_GUARDED(Win_flush_all, (MPI_Win w), (w))
MPP_GUARDED(Win_flush_local, (int rank, MPI_Win w), (rank, w))
MPP_GUARDED(Win_flush_local_all, (MPI_Win w), (w))
MPP_GUARDED(Win_post, (MPI_Group g, int assertion, MPI_Win w), (g, assertion, w))
MPP_GUARDED(Win_start, (MPI_Group g, int assertion, MPI_Win w), (g, assertion, w))
MPP_GUARDED(Win_complete, (MPI_Win w), (w))
MPP_GUARDED(Win_wait, (MPI_Win w), (w))
MPP_GUARDED(Win_create_dynamic, (MPI_Info info, MPI_Comm c, MPI_Win* w), (info, c, w))
MPP_GUARDED(Win_allocate_shared, (MPI_Aint size, int unit, MPI_Info info, MPI_Comm c, void* base, MPI_Win* w),
            (size, unit, info, c, base, w))
MPP_GUARDED(Win_free, (MPI_Win * w), (w))
// Connections to other jobs.
MPP_GUARDED(Comm_accept, (const char* port, MPI_Info info, int root, MPI_Comm c, MPI_Comm* out),
            (port, info, root, c, out))
MPP_GUARDED(Comm_connect, (const char* port, MPI_Info info, int root, MPI_Comm c, MPI_Comm* out),
            (port, info, root, c, out))
MPP_GUARDED(Comm_join, (int fd, MPI_Comm* out), (fd, out))
MPP_GUARDED(Comm_spawn_multiple,
            (int n, char* commands[], char** argv[], const int procs[], const MPI_Info info[], int root,
             MPI_Comm c, MPI_Comm* out, int errors[]),
            (n, commands, argv, procs, info, root, c, out, errors))
// The collective file calls (a file the rank opened before the fork).
MPP_GUARDED(File_close, (MPI_File * f), (f))
MPP_GUARDED(File_set_view,
            (MPI_File f, MPI_Offset d, MPI_Datatype e, MPI_Datatype t, const char* rep, MPI_Info info),
            (f, d, e, t, rep, info))
MPP_GUARDED(File_read_all, (MPI_File f, void* b, int n, MPI_Datatype t, MPI_Status* s), (f, b, n, t, s))
MPP_GUARDED(File_write_all, (MPI_File f, const void* b, int n, MPI_Datatype t, MPI_Status* s),
            (f, b, n, t, s))
MPP_GUARDED(File_read_at_all, (MPI_File f, MPI_Offset at, void* b, int n, MPI_Datatype t, MPI_Status* s),
            (f, at, b, n, t, s))
MPP_GUARDED(File_write_at_all,
            (MPI_File f, MPI_Offset at, const void* b, int n, MPI_Datatype t, MPI_Status* s),
            (f, at, b, n, t, s))
// The end of MPI, and of the job: in a worker each waited for ever (MPI_Finalize for the other
// ranks, MPI_Abort for an answer through the rank's connection to mpirun), and the job with it.
MPP_GUARDED(Finalize, (), ())
MPP_GUARDED(Abort, (MPI_Comm c, int code), (c, code))
// NOLINTEND
