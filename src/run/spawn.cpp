#include "run/spawn.hpp"

#include <sys/wait.h>

#include <cerrno>
#include <cstring>
#include <system_error>

namespace mpp::detail::run {

Child spawn_job(const Plan& plan, const std::string& command, Child::SpawnOptions spawn) {
  try {
    return Child::spawn(plan.argv, spawn);
  } catch (const std::system_error& e) {
    // A file without #! is a shell script to sh, as to execvp; posix_spawnp does not retry.
    if (e.code().value() != ENOEXEC || plan.shell) throw;
    spawn.program = nullptr;
    return Child::spawn({k_shell, "-c", command}, spawn);
  }
}

std::string start_failure_text(const std::string& command, int error) {
  const Plan plan = plan_command(command);
  return "mpp-run: " + plan.argv.front() + ": " +
         (error == ENOENT ? std::string("command not found") : std::strerror(error)) + "\n";
}

int start_failure_status(int error) noexcept { return W_EXITCODE(error == ENOENT ? 127 : 126, 0); }

}  // namespace mpp::detail::run
