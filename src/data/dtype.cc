#include "data/dtype.h"

#include "common/error.h"

namespace dpt::data {

const char* dtype_name(DType dtype) {
  switch (dtype) {
    case DType::kUInt8: return "uint8";
    case DType::kInt32: return "int32";
    case DType::kInt64: return "int64";
    case DType::kFloat32: return "float32";
  }
  return "?";
}

DType parse_dtype(const std::string& name, const std::string& where) {
  for (DType d : {DType::kUInt8, DType::kInt32, DType::kInt64, DType::kFloat32}) {
    if (name == dtype_name(d)) return d;
  }
  DPT_THROW(DataError, where << ": unknown dtype '" << name << "' (known: uint8, int32, int64, float32)");
}

size_t dtype_size(DType dtype) {
  switch (dtype) {
    case DType::kUInt8: return 1;
    case DType::kInt32: return 4;
    case DType::kInt64: return 8;
    case DType::kFloat32: return 4;
  }
  return 0;
}

bool dtype_is_integer(DType dtype) { return dtype != DType::kFloat32; }

hid_t dtype_h5_native(DType dtype) {
  switch (dtype) {
    case DType::kUInt8: return H5T_NATIVE_UINT8;
    case DType::kInt32: return H5T_NATIVE_INT32;
    case DType::kInt64: return H5T_NATIVE_INT64;
    case DType::kFloat32: return H5T_NATIVE_FLOAT;
  }
  return H5I_INVALID_HID;
}

bool dtype_from_h5(hid_t type, DType* out) {
  const H5T_class_t cls = H5Tget_class(type);
  const size_t size = H5Tget_size(type);
  if (cls == H5T_INTEGER) {
    const bool is_signed = H5Tget_sign(type) == H5T_SGN_2;
    if (!is_signed && size == 1) *out = DType::kUInt8;
    else if (is_signed && size == 4) *out = DType::kInt32;
    else if (is_signed && size == 8) *out = DType::kInt64;
    else return false;
    return true;
  }
  if (cls == H5T_FLOAT && size == 4) {
    *out = DType::kFloat32;
    return true;
  }
  return false;
}

std::string h5_type_description(hid_t type) {
  const size_t bits = H5Tget_size(type) * 8;
  switch (H5Tget_class(type)) {
    case H5T_INTEGER:
      return std::string(H5Tget_sign(type) == H5T_SGN_2 ? "int" : "uint") + std::to_string(bits);
    case H5T_FLOAT: return "float" + std::to_string(bits);
    case H5T_STRING: return "string";
    case H5T_COMPOUND: return "compound";
    default: return "non-numeric HDF5 type";
  }
}

}  // namespace dpt::data
