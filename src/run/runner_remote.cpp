// Jobs run elsewhere (RunIo::remote, remote.hpp): each try goes out whole and its outcome comes back
// whole, and from there on it is a finished job as any other (retries, --halt, -k, the joblog).
#include <signal.h>
#include <sys/wait.h>

#include <algorithm>
#include <memory>
#include <utility>

#include "run/remote.hpp"
#include "run/runner_impl.hpp"

namespace mpp::detail::run {

void Runner::start_remote(Pending job) {
  std::unique_ptr<Running> r = make_running(std::move(job));
  r->remote = true;
  // Its place in the input names it: a job has one try out at a time. The timeout is enforced
  // where its process group is.
  io_.remote->start(RemoteJob{r->job, r->command, options_.timeout});
  running_.push_back(std::move(r));
}

void Runner::take_remote() {
  for (RemoteOutcome& o : io_.remote->take()) {
    const auto it = std::find_if(running_.begin(), running_.end(),
                                 [&](const auto& r) { return r->remote && !r->status && r->job == o.id; });
    if (it == running_.end()) continue;
    Running& r = **it;
    r.output.out = std::move(o.out);
    r.output.err = std::move(o.err);
    r.host = std::move(o.host);
    r.timed_out = o.timed_out;
    r.status = o.status;
    if (o.stopped) {
      r.stopped = true;
      r.status = SIGTERM;  // as a local job stopped so is reported
    } else if (!o.message.empty()) {
      // A lost rank, or a job that could not be run there: failed, with the reason in its output
      // (the rank and its host).
      r.output.err += "mpp-run: " + o.message + "; job failed: " + r.command + "\n";
    }
  }
}

}  // namespace mpp::detail::run
