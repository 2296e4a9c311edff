#pragma once
// Element types a dataset field may have, with their names in manifest.json and their HDF5
// counterparts.
#include <hdf5.h>

#include <cstddef>
#include <string>

namespace dpt::data {

enum class DType { kUInt8, kInt32, kInt64, kFloat32 };

// "uint8", "int32", "int64", "float32" (the numpy names, as h5py reports them).
const char* dtype_name(DType dtype);
// Inverse of dtype_name; throws DataError listing the known names, prefixed by `where`.
DType parse_dtype(const std::string& name, const std::string& where);
size_t dtype_size(DType dtype);
bool dtype_is_integer(DType dtype);
// The native HDF5 memory type (H5T_NATIVE_UINT8, ...). Not an owned id: do not close it.
hid_t dtype_h5_native(DType dtype);
// The dtype of an HDF5 datatype, or false when it is none of ours. Caller holds the HDF5 lock.
bool dtype_from_h5(hid_t type, DType* out);
// A short description of any HDF5 datatype for error messages ("float64", "int16", "string").
// Caller holds the HDF5 lock.
std::string h5_type_description(hid_t type);

}  // namespace dpt::data
