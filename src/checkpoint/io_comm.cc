#include "checkpoint/io_comm.h"

#include <algorithm>
#include <climits>

#include "common/error.h"
#include "runtime/mpi_check.h"

namespace dpt::checkpoint {

IoComm::IoComm(MPI_Comm parent) {
  DPT_CHECK_MPI(MPI_Comm_dup(parent, &comm_));
  DPT_CHECK_MPI(MPI_Comm_set_errhandler(comm_, MPI_ERRORS_RETURN));
  DPT_CHECK_MPI(MPI_Comm_rank(comm_, &rank_));
  DPT_CHECK_MPI(MPI_Comm_size(comm_, &size_));
}

IoComm::~IoComm() {
  int finalized = 0;
  MPI_Finalized(&finalized);
  if (comm_ != MPI_COMM_NULL && !finalized) MPI_Comm_free(&comm_);
}

void IoComm::barrier() { DPT_CHECK_MPI(MPI_Barrier(comm_)); }

std::string IoComm::broadcast(std::string text, int root) {
  int64_t length = broadcast(static_cast<int64_t>(text.size()), root);
  DPT_CHECK(length < INT_MAX, InternalError, "broadcast of a " << length << "-byte string");
  text.resize(static_cast<size_t>(length));
  if (length > 0) DPT_CHECK_MPI(MPI_Bcast(text.data(), static_cast<int>(length), MPI_CHAR, root, comm_));
  return text;
}

int64_t IoComm::broadcast(int64_t value, int root) {
  DPT_CHECK_MPI(MPI_Bcast(&value, 1, MPI_INT64_T, root, comm_));
  return value;
}

std::vector<int64_t> IoComm::allgather(const std::vector<int64_t>& values) {
  std::vector<int64_t> out(values.size() * static_cast<size_t>(size_));
  if (values.empty()) return out;
  DPT_CHECK_MPI(MPI_Allgather(values.data(), static_cast<int>(values.size()), MPI_INT64_T, out.data(),
                              static_cast<int>(values.size()), MPI_INT64_T, comm_));
  return out;
}

void IoComm::allgather_pieces(void* buffer, const std::vector<int64_t>& begin, const std::vector<int64_t>& count) {
  if (size_ == 1) return;
  // MPI counts are ints: move the pieces in rounds of at most 1 GiB per rank.
  constexpr int64_t kRound = int64_t{1} << 30;
  const int64_t largest = *std::max_element(count.begin(), count.end());
  std::vector<int> counts(static_cast<size_t>(size_)), displs(static_cast<size_t>(size_));
  auto* bytes = static_cast<char*>(buffer);
  for (int64_t done = 0; done < largest || done == 0; done += kRound) {
    int64_t base = -1;  // the smallest displacement this round, so displs fit an int
    for (int r = 0; r < size_; ++r) {
      const int64_t left = std::max<int64_t>(0, count[static_cast<size_t>(r)] - done);
      if (left > 0 && (base < 0 || begin[static_cast<size_t>(r)] + done < base)) base = begin[static_cast<size_t>(r)] + done;
    }
    if (base < 0) break;
    for (int r = 0; r < size_; ++r) {
      const size_t i = static_cast<size_t>(r);
      const int64_t left = std::max<int64_t>(0, count[i] - done);
      counts[i] = static_cast<int>(std::min(left, kRound));
      const int64_t displ = counts[i] > 0 ? begin[i] + done - base : 0;
      DPT_CHECK(displ < INT_MAX, InternalError, "checkpoint piece displacement " << displ << " exceeds an int");
      displs[i] = static_cast<int>(displ);
    }
    DPT_CHECK_MPI(MPI_Allgatherv(MPI_IN_PLACE, 0, MPI_DATATYPE_NULL, bytes + base, counts.data(), displs.data(),
                                 MPI_BYTE, comm_));
  }
}

std::string IoComm::first_error(const std::string& error) {
  int failing = error.empty() ? size_ : rank_;
  DPT_CHECK_MPI(MPI_Allreduce(MPI_IN_PLACE, &failing, 1, MPI_INT, MPI_MIN, comm_));
  if (failing == size_) return "";
  return broadcast(error, failing);
}

void IoComm::agreed(const std::function<void()>& step) {
  std::string error;
  bool config_error = false;
  try {
    step();
  } catch (const ConfigError& e) {
    error = e.what();
    config_error = true;
  } catch (const std::exception& e) {
    error = e.what();
  }
  // Agree on the kind too: a mismatch (ConfigError) must not be mistaken for damage.
  int any_config = config_error ? 1 : 0;
  DPT_CHECK_MPI(MPI_Allreduce(MPI_IN_PLACE, &any_config, 1, MPI_INT, MPI_MAX, comm_));
  if (any_config != 0) {
    raise_if_any<ConfigError>(config_error ? error : "");
  }
  raise_if_any<CheckpointError>(error);
}

}  // namespace dpt::checkpoint
