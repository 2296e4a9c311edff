#include "checkpoint/writer.h"

#include <sstream>

#include "checkpoint/crc32.h"
#include "checkpoint/fault.h"
#include "checkpoint/h5_util.h"
#include "checkpoint/layout.h"
#include "common/error.h"

namespace dpt::checkpoint {
namespace {

std::vector<int64_t> shape_of(const at::Tensor& t) { return {t.sizes().begin(), t.sizes().end()}; }

// Where one tensor's bytes lie on this rank and which flat element range every rank writes.
struct Plan {
  const char* bytes = nullptr;  // this rank's elements, starting with flat element `first`
  int64_t first = 0;
  std::vector<Range> pieces;    // per rank; they tile the tensor in rank order
};

void check_cpu_tensor(const at::Tensor& t, const std::string& name) {
  DPT_CHECK(t.defined() && t.device().is_cpu() && t.is_contiguous(), InternalError,
            "checkpoint tensor " << name << " must be a defined, contiguous CPU tensor");
}

// The pieces of the sharded entries, all-gathered, checked to tile each tensor in rank order.
void plan_sharded(const State& state, const Manifest& m, size_t first_index, std::vector<Plan>* plans, IoComm& comm) {
  std::vector<int64_t> mine;
  for (const auto& entry : state.sharded) {
    mine.push_back(entry.begin);
    mine.push_back(entry.begin + entry.piece.numel());
  }
  const std::vector<int64_t> all = comm.allgather(mine);
  for (size_t k = 0; k < state.sharded.size(); ++k) {
    const TensorInfo& info = m.tensors[first_index + k];
    Plan plan{static_cast<const char*>(state.sharded[k].piece.data_ptr()), state.sharded[k].begin, {}};
    int64_t end = 0;
    for (int r = 0; r < comm.size(); ++r) {
      const size_t at = static_cast<size_t>(r) * mine.size() + 2 * k;
      const Range piece{all[at], all[at + 1]};
      DPT_CHECK(piece.size() == 0 || piece.begin == end, InternalError,
                "checkpoint tensor " << info.name << ": rank " << r << "'s piece [" << piece.begin << ", "
                                     << piece.end << ") does not continue at element " << end);
      if (piece.size() > 0) end = piece.end;
      plan.pieces.push_back(piece);
    }
    DPT_CHECK(end == info.numel(), InternalError,
              "checkpoint tensor " << info.name << ": the ranks' pieces cover " << end << " of " << info.numel()
                                   << " elements");
    plans->push_back(std::move(plan));
  }
}

// The manifest of `state` without CRCs, and every tensor's plan; checks that every rank
// describes the same tensors.
Manifest describe(const State& state, std::vector<Plan>* plans, IoComm& comm) {
  Manifest m;
  m.world_size = comm.size();
  m.step = state.step;
  m.dptrain_version = dptrain_version();
  m.extra = state.extra;
  m.config_text = state.config_text;
  std::ostringstream text;
  text << state.step << ";";
  for (const auto& entry : state.replicated) {
    const at::Tensor& t = entry.tensor;
    check_cpu_tensor(t, entry.name);
    TensorInfo info{entry.name, t.scalar_type(), shape_of(t), static_cast<int64_t>(t.nbytes())};
    text << info.name << ":" << dtype_name(info.dtype) << ":" << t.sizes() << ";";
    m.tensors.push_back(info);
    Plan plan{static_cast<const char*>(t.data_ptr()), 0, {}};
    for (int r = 0; r < comm.size(); ++r) plan.pieces.push_back(share(info.numel(), t.element_size(), comm.size(), r));
    plans->push_back(std::move(plan));
  }
  for (const auto& entry : state.sharded) {
    check_cpu_tensor(entry.piece, entry.name);
    TensorInfo info{entry.name, entry.piece.scalar_type(), entry.shape, 0};
    info.bytes = info.numel() * static_cast<int64_t>(entry.piece.element_size());
    text << info.name << ":" << dtype_name(info.dtype) << ":" << at::IntArrayRef(entry.shape) << ";";
    m.tensors.push_back(info);
  }
  // Every rank must hold the same tensors (a cheap check: one hash per rank).
  const std::string described = text.str();
  const int64_t hash = static_cast<int64_t>(crc32(described.data(), static_cast<int64_t>(described.size())));
  const int64_t own = state.rank_state.defined() ? static_cast<int64_t>(state.rank_state.nbytes()) : 0;
  const std::vector<int64_t> all = comm.allgather({hash, own});
  for (int r = 0; r < comm.size(); ++r) {
    DPT_CHECK(all[2 * static_cast<size_t>(r)] == hash, InternalError,
              "rank " << r << " passed a different set of checkpoint tensors than rank " << comm.rank()
                      << "; every rank must checkpoint the same model and optimizer");
  }
  plan_sharded(state, m, state.replicated.size(), plans, comm);
  for (int r = 0; r < comm.size(); ++r) {
    const int64_t bytes = all[2 * static_cast<size_t>(r) + 1];
    if (bytes == 0) continue;
    m.tensors.push_back({rank_state_name(r), at::kByte, {bytes}, bytes, 0, r});
    Plan plan;
    if (r == comm.rank()) plan.bytes = static_cast<const char*>(state.rank_state.data_ptr());
    for (int q = 0; q < comm.size(); ++q) plan.pieces.push_back(q == r ? Range{0, bytes} : Range{});
    plans->push_back(std::move(plan));
  }
  return m;
}

// This rank's bytes of its piece of tensor `info`.
const char* piece_bytes(const TensorInfo& info, const Plan& plan, int rank) {
  return plan.bytes + (plan.pieces[static_cast<size_t>(rank)].begin - plan.first) * at::elementSize(info.dtype);
}

// Fills in every tensor's CRC-32: each rank checksums its pieces, the pieces' CRCs are
// all-gathered and combined in rank order (the pieces tile the tensor in that order). This runs
// before the writes, on the calling thread: computing the CRCs on a helper thread during the
// writes was tried and was no faster (2 ranks on 2 cores, paired rounds: 0.71-0.74 x a plain
// write with the helper, 0.74-0.77 x without): it competes for the CPU with the copies that
// MPI-IO makes.
void compute_checksums(Manifest* m, const std::vector<Plan>& plans, IoComm& comm) {
  std::vector<int64_t> mine;
  for (size_t i = 0; i < m->tensors.size(); ++i) {
    const TensorInfo& t = m->tensors[i];
    const Range piece = plans[i].pieces[static_cast<size_t>(comm.rank())];
    mine.push_back(piece.size() > 0 ? crc32(piece_bytes(t, plans[i], comm.rank()), piece.size() * at::elementSize(t.dtype))
                                    : 0);
  }
  const std::vector<int64_t> all = comm.allgather(mine);
  for (size_t i = 0; i < m->tensors.size(); ++i) {
    TensorInfo& t = m->tensors[i];
    uint32_t crc = 0;
    for (int r = 0; r < comm.size(); ++r) {
      const int64_t length = plans[i].pieces[static_cast<size_t>(r)].size() * at::elementSize(t.dtype);
      crc = crc32_combine(crc, static_cast<uint32_t>(all[static_cast<size_t>(r) * mine.size() + i]), length);
    }
    t.crc32 = crc;
  }
}

// Collective: creates the dataset of `info` and writes this rank's piece from `data`.
void write_tensor(hid_t file, const TensorInfo& info, const Plan& plan, hid_t dxpl, IoComm& comm) {
  data::H5Id lcpl(DPT_CKPT_H5(H5Pcreate(H5P_LINK_CREATE)));
  DPT_CKPT_H5(H5Pset_create_intermediate_group(lcpl.get(), 1));
  data::H5Id dcpl(DPT_CKPT_H5(H5Pcreate(H5P_DATASET_CREATE)));
  // Never write fill values: every byte is written once, by its owner (halves the I/O).
  DPT_CKPT_H5(H5Pset_fill_time(dcpl.get(), H5D_FILL_TIME_NEVER));
  DPT_CKPT_H5(H5Pset_alloc_time(dcpl.get(), H5D_ALLOC_TIME_EARLY));
  std::vector<hsize_t> dims(info.shape.begin(), info.shape.end());
  data::H5Id space(info.shape.empty() ? DPT_CKPT_H5(H5Screate(H5S_SCALAR))
                                      : DPT_CKPT_H5(H5Screate_simple(static_cast<int>(dims.size()), dims.data(), nullptr)));
  data::H5Id type(DPT_CKPT_H5(h5_type_for(info.dtype)));
  data::H5Id dset(DPT_CKPT_H5(
      H5Dcreate2(file, info.name.c_str(), type.get(), space.get(), lcpl.get(), dcpl.get(), H5P_DEFAULT)));
  if (info.numel() == 0) return;  // no storage to write (every rank skips alike)
  const Range piece = plan.pieces[static_cast<size_t>(comm.rank())];
  select_flat_range(space.get(), info.shape, piece);
  const hsize_t count = static_cast<hsize_t>(std::max<int64_t>(1, piece.size()));
  data::H5Id memory(DPT_CKPT_H5(H5Screate_simple(1, &count, nullptr)));
  if (piece.size() == 0) DPT_CKPT_H5(H5Sselect_none(memory.get()));
  static const char kNothing = 0;  // HDF5 wants a buffer even when this rank writes nothing
  const char* bytes = piece.size() == 0 ? &kNothing : piece_bytes(info, plan, comm.rank());
  DPT_CKPT_H5(H5Dwrite(dset.get(), type.get(), memory.get(), space.get(), dxpl, bytes));
}

void write_meta(hid_t file, const Manifest& m, hid_t dxpl, IoComm& comm) {
  data::H5Id meta(DPT_CKPT_H5(H5Gcreate2(file, "meta", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT)));
  const std::string manifest = to_json(m).dump();
  write_string_dataset(meta.get(), "manifest", manifest, dxpl, comm.rank() == 0);
  write_string_dataset(meta.get(), "config", m.config_text, dxpl, comm.rank() == 0);
  write_attribute(meta.get(), "format_version", m.format_version);
  write_attribute(meta.get(), "world_size", m.world_size);
  write_attribute(meta.get(), "step", m.step);
  write_attribute(meta.get(), "dptrain_version", m.dptrain_version);
  write_attribute(meta.get(), "manifest_crc32",
                  static_cast<int64_t>(crc32(manifest.data(), static_cast<int64_t>(manifest.size()))));
}

}  // namespace

Manifest write_file(const std::string& path, const State& state, IoComm& comm, bool collective_buffering) {
  Manifest m;
  std::vector<Plan> plans;
  comm.agreed([&] {
    if (state.rank_state.defined()) {
      DPT_CHECK(state.rank_state.is_contiguous() && state.rank_state.scalar_type() == at::kByte &&
                    state.rank_state.dim() == 1 && state.rank_state.device().is_cpu(),
                InternalError, "a checkpoint's rank state must be a contiguous 1-D uint8 CPU tensor");
    }
    m = describe(state, &plans, comm);
    compute_checksums(&m, plans, comm);
  });

  data::H5Id file;
  comm.agreed([&] {
    data::H5Id fapl = mpio_fapl(comm.get(), collective_buffering);
    data::H5Lock lock(data::h5_mutex());
    const hid_t id = H5Fcreate(path.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, fapl.get());
    DPT_CHECK(id >= 0, CheckpointError, "cannot create checkpoint file '" << path << "': " << data::h5_error_stack()
                                        << ". Check that the checkpoint directory exists, is writable and has space");
    file = data::H5Id(id);
  });
  fault_point("create", comm.rank(), state.step);
  data::H5Id dxpl = collective_dxpl();
  for (size_t i = 0; i < m.tensors.size(); ++i) {
    write_tensor(file.get(), m.tensors[i], plans[i], dxpl.get(), comm);
    if (i + 1 == (m.tensors.size() + 1) / 2) fault_point("tensors", comm.rank(), state.step);
  }
  write_meta(file.get(), m, dxpl.get(), comm);
  comm.agreed([&] {
    const hid_t id = file.release();
    DPT_CKPT_H5(H5Fclose(id));
  });
  fault_point("close", comm.rank(), state.step);
  return m;
}

}  // namespace dpt::checkpoint
