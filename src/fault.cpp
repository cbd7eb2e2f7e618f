// PANCAN_FAULT: parse once, then compare at every fault::point() (see fault.hpp).
#include "pancan/fault.hpp"

#include <unistd.h>

#include <atomic>
#include <csignal>
#include <cstdlib>
#include <mutex>
#include <string>

#include "pancan/error.hpp"
#include "pancan/log.hpp"
#include "pancan/mpi.hpp"

namespace pancan::fault {

namespace {

enum class Action { Throw, Kill, Term, TermParent };

struct Plan {
  bool active = false;
  std::string error;  // a malformed PANCAN_FAULT, reported at every point()
  int rank = -1;      // -1 = every rank
  std::string stage, point;
  long occurrence = 1;
  Action action = Action::Throw;
  long reached = 0;  // times the point was reached so far
};

std::string next_field(std::string& rest) {
  const auto colon = rest.find(':');
  std::string field = rest.substr(0, colon);
  rest = colon == std::string::npos ? "" : rest.substr(colon + 1);
  return field;
}

Plan parse(const char* text) {
  Plan plan;
  if (text == nullptr || *text == '\0') return plan;
  plan.active = true;
  const std::string spec = text;
  auto bad = [&](const std::string& why) {
    plan.error =
        "PANCAN_FAULT='" + spec + "': " + why + " (expected RANK:STAGE[:POINT[@N]][:ACTION])";
    return plan;
  };
  std::string rest = spec;
  const std::string rank = next_field(rest);
  if (rank == "*") {
    plan.rank = -1;
  } else {
    char* end = nullptr;
    plan.rank = static_cast<int>(std::strtol(rank.c_str(), &end, 10));
    if (rank.empty() || *end != '\0' || plan.rank < 0) return bad("bad rank '" + rank + "'");
  }
  plan.stage = next_field(rest);
  if (plan.stage.empty()) return bad("no stage");
  // The remaining one or two fields: POINT[@N] and/or ACTION.
  std::string field = next_field(rest);
  std::string action = next_field(rest);
  if (!rest.empty()) return bad("too many fields");
  if (action.empty() &&
      (field == "throw" || field == "kill" || field == "term" || field == "term-parent")) {
    action = field;
    field.clear();
  }
  if (const auto at = field.find('@'); at != std::string::npos) {
    char* end = nullptr;
    plan.occurrence = std::strtol(field.c_str() + at + 1, &end, 10);
    if (*end != '\0' || plan.occurrence < 1) return bad("bad count after '@'");
    field.resize(at);
  }
  plan.point = field;
  if (action.empty() || action == "throw")
    plan.action = Action::Throw;
  else if (action == "kill")
    plan.action = Action::Kill;
  else if (action == "term")
    plan.action = Action::Term;
  else if (action == "term-parent")
    plan.action = Action::TermParent;
  else
    return bad("unknown action '" + action + "' (throw, kill, term or term-parent)");
  return plan;
}

Plan& plan() {
  static Plan p = parse(std::getenv("PANCAN_FAULT"));
  return p;
}

}  // namespace

void point(const char* stage, const char* where) {
  static std::once_flag parsed;
  static std::atomic<bool> active{false};
  std::call_once(parsed, [] { active.store(plan().active, std::memory_order_relaxed); });
  if (!active.load(std::memory_order_relaxed)) return;
  Plan& p = plan();
  if (!p.error.empty()) throw Error(p.error);
  if (p.stage != stage || (!p.point.empty() && p.point != where)) return;
  const int rank = mpi::Comm::world().rank();
  if (p.rank != -1 && p.rank != rank) return;
  if (++p.reached != p.occurrence) return;
  const std::string what =
      strprintf("injected fault (PANCAN_FAULT) on rank %d at %s:%s", rank, stage, where);
  rank_log(what);
  switch (p.action) {
    case Action::Throw:
      throw Error(what);
    case Action::Kill:
      std::raise(SIGKILL);
      break;
    case Action::Term:
      std::raise(SIGTERM);
      break;
    case Action::TermParent:
      ::kill(::getppid(), SIGTERM);
      break;
  }
}

}  // namespace pancan::fault
