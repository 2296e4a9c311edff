#pragma once
// Typed errors shared by every module, and the check macros that raise them.
//
// Note [One error idiom]
// Every failure that a user can cause or observe is thrown as one of the types below. Its
// message says what went wrong, where (file:line, the call or the input) and what to do, and
// carries the rank that saw it. Library code never exits: only main() turns an error into
// MPI_Abort, so that one failing rank ends the whole job instead of hanging the others.
#include <sstream>
#include <stdexcept>
#include <string>

namespace dpt {

// Base of every dptrain error. `what()` is the full one-line message.
class Error : public std::runtime_error {
 public:
  Error(const std::string& kind, const std::string& message);
  const std::string& kind() const { return kind_; }

 private:
  std::string kind_;
};

#define DPT_DECLARE_ERROR(Name)                                                    \
  class Name : public Error {                                                      \
   public:                                                                         \
    explicit Name(const std::string& message) : Error(#Name, message) {}          \
  }

DPT_DECLARE_ERROR(ConfigError);      // bad option, file, value or combination
DPT_DECLARE_ERROR(CommError);        // MPI / NCCL / CUDA failure, launcher mismatch
DPT_DECLARE_ERROR(DataError);        // dataset missing, malformed or inconsistent
DPT_DECLARE_ERROR(CheckpointError);  // checkpoint unreadable, damaged or mismatched
DPT_DECLARE_ERROR(TrainingError);    // training went wrong numerically (NaN/Inf loss or gradient)
DPT_DECLARE_ERROR(InternalError);    // a broken invariant inside dptrain (a bug)
#undef DPT_DECLARE_ERROR

// Builds "<what> [<call>] at <file>:<line> (rank R)". The rank is the one registered with
// log::set_rank(), or omitted before MPI is up.
std::string format_error(const std::string& what, const char* call, const char* file, int line);

}  // namespace dpt

// DPT_THROW(ErrorType, message-stream): throws with file:line and rank appended.
//   DPT_THROW(DataError, "shard " << path << " is missing; re-run dptrain prepare");
#define DPT_THROW(ErrorType, stream_expr)                                           \
  do {                                                                              \
    ::std::ostringstream dpt_oss_;                                                  \
    dpt_oss_ << stream_expr;                                                        \
    throw ::dpt::ErrorType(::dpt::format_error(dpt_oss_.str(), nullptr, __FILE__, __LINE__)); \
  } while (0)

// DPT_CHECK(cond, ErrorType, message-stream): throws when cond is false.
#define DPT_CHECK(cond, ErrorType, stream_expr) \
  do {                                          \
    if (!(cond)) DPT_THROW(ErrorType, stream_expr); \
  } while (0)
