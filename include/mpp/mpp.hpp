// The umbrella header: everything of mpp but the MPI back end (<mpp/mpi.hpp>).
#pragma once

#include "mpp/async_result.hpp"
#include "mpp/connection.hpp"
#include "mpp/cpu.hpp"
#include "mpp/csv.hpp"
#include "mpp/errors.hpp"
#include "mpp/frame.hpp"
#include "mpp/imap_range.hpp"
#include "mpp/pool.hpp"
#include "mpp/process.hpp"
#include "mpp/process_pool.hpp"
#include "mpp/progress.hpp"
#include "mpp/queue.hpp"
#include "mpp/shared_memory.hpp"
#include "mpp/start_method.hpp"
#include "mpp/synchronize.hpp"
