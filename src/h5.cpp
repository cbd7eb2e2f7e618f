// HDF5 RAII wrappers: every C-API call checked, errors name the object being handled.
#include "pancan/h5.hpp"

#include <cstdlib>
#include <cstring>

namespace pancan::h5 {

namespace {

hid_t checked(hid_t id, const std::string& what) {
  if (id < 0) throw Error("HDF5: failed " + what);
  return id;
}

void checked_status(herr_t status, const std::string& what) {
  if (status < 0) throw Error("HDF5: failed " + what);
}

Handle property_list(hid_t cls, const std::string& what) {
  return Handle(checked(H5Pcreate(cls), "creating property list for " + what), H5Pclose);
}

Handle simple_space(const std::vector<std::int64_t>& dims, const std::string& what) {
  std::vector<hsize_t> d(dims.begin(), dims.end());
  return Handle(checked(H5Screate_simple(static_cast<int>(d.size()), d.data(), nullptr),
                        "creating dataspace for " + what),
                H5Sclose);
}

Handle scalar_space(const std::string& what) {
  return Handle(checked(H5Screate(H5S_SCALAR), "creating scalar dataspace for " + what), H5Sclose);
}

std::vector<std::int64_t> extent(hid_t space, const std::string& what) {
  const int rank = H5Sget_simple_extent_ndims(space);
  if (rank < 0) throw Error("HDF5: failed reading the shape of " + what);
  std::vector<hsize_t> d(static_cast<std::size_t>(rank));
  if (rank > 0)
    checked_status(H5Sget_simple_extent_dims(space, d.data(), nullptr),
                   "reading the shape of " + what);
  return {d.begin(), d.end()};
}

Handle collective_transfer(bool collective, const std::string& what) {
  Handle dxpl = property_list(H5P_DATASET_XFER, what);
  if (collective)
    checked_status(H5Pset_dxpl_mpio(dxpl.id(), H5FD_MPIO_COLLECTIVE),
                   "setting collective I/O for " + what);
  return dxpl;
}

// Transfer properties for writing n variable-length strings: a type-conversion buffer of
// their size. HDF5's default is a 1 MiB buffer that it zeroes on every such write: 8% of
// the time of writing a model file (4107 gene names and a one-string summary).
Handle string_transfer(std::size_t n, const std::string& what) {
  Handle dxpl = property_list(H5P_DATASET_XFER, what);
  // A converted element is HDF5's in-file reference to the string: 16 bytes at most.
  checked_status(H5Pset_buffer(dxpl.id(), std::max<std::size_t>(n, 1) * 16, nullptr, nullptr),
                 what);
  return dxpl;
}

std::vector<std::string> read_vlen_strings(hid_t object, bool is_attribute,
                                           const std::string& what) {
  Handle space(checked(is_attribute ? H5Aget_space(object) : H5Dget_space(object),
                       "reading the dataspace of " + what),
               H5Sclose);
  const auto dims = extent(space.id(), what);
  std::size_t n = 1;
  for (auto d : dims) n *= static_cast<std::size_t>(d);
  Handle type = utf8_string_type();
  Handle file_type(checked(is_attribute ? H5Aget_type(object) : H5Dget_type(object),
                           "reading the type of " + what),
                   H5Tclose);
  if (H5Tget_class(file_type.id()) != H5T_STRING)
    throw Error("HDF5: " + what + " does not hold strings");
  std::vector<std::string> out;
  if (n == 0) return out;  // a zero-length array: nothing to read (and no buffer to pass)
  out.reserve(n);
  if (H5Tis_variable_str(file_type.id()) > 0) {
    std::vector<char*> raw(n, nullptr);
    checked_status(is_attribute
                       ? H5Aread(object, type.id(), raw.data())
                       : H5Dread(object, type.id(), H5S_ALL, H5S_ALL, H5P_DEFAULT, raw.data()),
                   "reading " + what);
    for (auto* s : raw) out.emplace_back(s ? s : "");
    H5Dvlen_reclaim(type.id(), space.id(), H5P_DEFAULT, raw.data());
  } else {  // fixed-length strings (other writers): read with the file's own size
    const std::size_t size = H5Tget_size(file_type.id());
    Handle mem(checked(H5Tcopy(file_type.id()), "copying string type of " + what), H5Tclose);
    std::vector<char> buffer(n * size);
    checked_status(is_attribute
                       ? H5Aread(object, mem.id(), buffer.data())
                       : H5Dread(object, mem.id(), H5S_ALL, H5S_ALL, H5P_DEFAULT, buffer.data()),
                   "reading " + what);
    for (std::size_t i = 0; i < n; ++i) {
      const char* s = buffer.data() + i * size;
      out.emplace_back(s, strnlen(s, size));
    }
  }
  return out;
}

}  // namespace

Handle& Handle::operator=(Handle&& other) noexcept {
  if (this != &other) {
    reset();
    id_ = other.id_;
    closer_ = other.closer_;
    other.id_ = -1;
  }
  return *this;
}

void Handle::reset() {
  if (id_ >= 0 && closer_ != nullptr) closer_(id_);
  id_ = -1;
}

template <>
hid_t native_type<float>() {
  return H5T_NATIVE_FLOAT;
}
template <>
hid_t native_type<double>() {
  return H5T_NATIVE_DOUBLE;
}
template <>
hid_t native_type<std::int8_t>() {
  return H5T_NATIVE_INT8;
}
template <>
hid_t native_type<std::uint8_t>() {
  return H5T_NATIVE_UINT8;
}
template <>
hid_t native_type<std::int32_t>() {
  return H5T_NATIVE_INT32;
}
template <>
hid_t native_type<std::int64_t>() {
  return H5T_NATIVE_INT64;
}
template <>
hid_t native_type<std::uint64_t>() {
  return H5T_NATIVE_UINT64;
}

Handle bool_type() {
  Handle type(checked(H5Tenum_create(H5T_NATIVE_INT8), "creating bool enum type"), H5Tclose);
  std::int8_t value = 0;
  checked_status(H5Tenum_insert(type.id(), "FALSE", &value), "defining bool enum");
  value = 1;
  checked_status(H5Tenum_insert(type.id(), "TRUE", &value), "defining bool enum");
  return type;
}

Handle utf8_string_type() {
  Handle type(checked(H5Tcopy(H5T_C_S1), "creating string type"), H5Tclose);
  checked_status(H5Tset_size(type.id(), H5T_VARIABLE), "creating string type");
  checked_status(H5Tset_cset(type.id(), H5T_CSET_UTF8), "creating string type");
  return type;
}

// --- Object: attributes ---------------------------------------------------------------

bool Object::has_attribute(const std::string& name) const {
  const htri_t exists = H5Aexists(id(), name.c_str());
  if (exists < 0) throw Error("HDF5: failed checking attribute " + name + " of " + path_);
  return exists > 0;
}

void Object::remove_attribute(const std::string& name) {
  if (has_attribute(name))
    checked_status(H5Adelete(id(), name.c_str()), "deleting attribute " + name + " of " + path_);
}

namespace {
// Replaces attribute `name` of `object` with one of `type`/`space` holding `data`.
void write_attribute(Object& object, const std::string& name, hid_t type, hid_t space,
                     const void* data) {
  object.remove_attribute(name);
  const std::string what = "writing attribute " + name + " of " + object.path();
  Handle attr(
      checked(H5Acreate2(object.id(), name.c_str(), type, space, H5P_DEFAULT, H5P_DEFAULT), what),
      H5Aclose);
  // A zero-length array attribute has nothing to write (and H5Awrite refuses a null buffer).
  if (data != nullptr) checked_status(H5Awrite(attr.id(), type, data), what);
}

Handle open_attribute(const Object& object, const std::string& name) {
  return Handle(checked(H5Aopen(object.id(), name.c_str(), H5P_DEFAULT),
                        "opening attribute " + name + " of " + object.path()),
                H5Aclose);
}
}  // namespace

void Object::set_attribute(const std::string& name, const std::string& value) {
  Handle type = utf8_string_type();
  Handle space = scalar_space(name);
  const char* data = value.c_str();
  write_attribute(*this, name, type.id(), space.id(), &data);
}

void Object::set_attribute(const std::string& name, const std::vector<std::string>& values) {
  Handle type = utf8_string_type();
  Handle space = simple_space({static_cast<std::int64_t>(values.size())}, name);
  std::vector<const char*> data;
  for (const auto& v : values) data.push_back(v.c_str());
  write_attribute(*this, name, type.id(), space.id(), values.empty() ? nullptr : data.data());
}

void Object::set_attribute(const std::string& name, double value) {
  Handle space = scalar_space(name);
  write_attribute(*this, name, H5T_NATIVE_DOUBLE, space.id(), &value);
}

void Object::set_attribute(const std::string& name, std::int64_t value) {
  Handle space = scalar_space(name);
  write_attribute(*this, name, H5T_NATIVE_INT64, space.id(), &value);
}

void Object::set_attribute(const std::string& name, bool value) {
  Handle type = bool_type();
  Handle space = scalar_space(name);
  std::int8_t v = value ? 1 : 0;
  write_attribute(*this, name, type.id(), space.id(), &v);
}

std::string Object::string_attribute(const std::string& name) const {
  Handle attr = open_attribute(*this, name);
  auto values = read_vlen_strings(attr.id(), true, "attribute " + name + " of " + path_);
  if (values.size() != 1)
    throw Error("HDF5: attribute " + name + " of " + path_ + " is not a scalar string");
  return values.front();
}

std::vector<std::string> Object::string_array_attribute(const std::string& name) const {
  Handle attr = open_attribute(*this, name);
  return read_vlen_strings(attr.id(), true, "attribute " + name + " of " + path_);
}

double Object::double_attribute(const std::string& name) const {
  Handle attr = open_attribute(*this, name);
  double value = 0;
  checked_status(H5Aread(attr.id(), H5T_NATIVE_DOUBLE, &value),
                 "reading attribute " + name + " of " + path_);
  return value;
}

std::int64_t Object::int_attribute(const std::string& name) const {
  Handle attr = open_attribute(*this, name);
  std::int64_t value = 0;
  checked_status(H5Aread(attr.id(), H5T_NATIVE_INT64, &value),
                 "reading attribute " + name + " of " + path_);
  return value;
}

// --- DataSet ----------------------------------------------------------------------------

std::vector<std::int64_t> DataSet::dims() const {
  Handle space(checked(H5Dget_space(id()), "reading the dataspace of " + path_), H5Sclose);
  return extent(space.id(), path_);
}

void DataSet::transfer(bool writing, hid_t memory_type, void* buffer,
                       const std::vector<std::int64_t>& offsets,
                       const std::vector<std::int64_t>& counts) const {
  std::string what = std::string(writing ? "writing " : "reading ") + path_;
  if (!counts.empty()) {
    what += " [";
    for (std::size_t i = 0; i < counts.size(); ++i)
      what += (i ? ", " : "") + std::to_string(offsets[i]) + ".." +
              std::to_string(offsets[i] + counts[i]);
    what += ")";
  }
  Handle file_space(checked(H5Dget_space(id()), what), H5Sclose);
  std::size_t elements = 1;
  for (auto c : counts) elements *= static_cast<std::size_t>(c);
  Handle memory_space;
  if (elements == 0) {
    checked_status(H5Sselect_none(file_space.id()), what);
    memory_space = simple_space({1}, path_);
    checked_status(H5Sselect_none(memory_space.id()), what);
  } else {
    std::vector<hsize_t> start(offsets.begin(), offsets.end()), count(counts.begin(), counts.end());
    if (!count.empty())
      checked_status(H5Sselect_hyperslab(file_space.id(), H5S_SELECT_SET, start.data(), nullptr,
                                         count.data(), nullptr),
                     what);
    memory_space = count.empty() ? scalar_space(path_) : simple_space(counts, path_);
  }
  Handle dxpl = collective_transfer(collective_, what);
  const herr_t status =
      writing ? H5Dwrite(id(), memory_type, memory_space.id(), file_space.id(), dxpl.id(), buffer)
              : H5Dread(id(), memory_type, memory_space.id(), file_space.id(), dxpl.id(), buffer);
  checked_status(status, what);
}

template <class T>
void DataSet::write(std::span<const T> data, const std::vector<std::int64_t>& offsets,
                    const std::vector<std::int64_t>& counts) {
  std::size_t elements = 1;
  for (auto c : counts) elements *= static_cast<std::size_t>(c);
  if (data.size() != elements)
    throw Error("HDF5: writing " + path_ + ": buffer holds " + std::to_string(data.size()) +
                " values, the selection " + std::to_string(elements));
  transfer(true, native_type<T>(), const_cast<T*>(data.data()), offsets, counts);
}

template <class T>
void DataSet::read(std::span<T> out, const std::vector<std::int64_t>& offsets,
                   const std::vector<std::int64_t>& counts) const {
  std::size_t elements = 1;
  for (auto c : counts) elements *= static_cast<std::size_t>(c);
  if (out.size() != elements)
    throw Error("HDF5: reading " + path_ + ": buffer holds " + std::to_string(out.size()) +
                " values, the selection " + std::to_string(elements));
  transfer(false, native_type<T>(), out.data(), offsets, counts);
}

template <class T>
std::vector<T> DataSet::read_all() const {
  const auto d = dims();
  std::size_t n = 1;
  for (auto x : d) n *= static_cast<std::size_t>(x);
  std::vector<T> out(n);
  read(std::span<T>(out), std::vector<std::int64_t>(d.size(), 0), d);
  return out;
}

std::vector<std::int64_t> DataSet::chunk_dims() const {
  Handle dcpl(checked(H5Dget_create_plist(id()), "reading the layout of " + path_), H5Pclose);
  if (H5Pget_layout(dcpl.id()) != H5D_CHUNKED) return {};
  const int rank = H5Pget_chunk(dcpl.id(), 0, nullptr);
  if (rank < 0) throw Error("HDF5: failed reading the chunk shape of " + path_);
  std::vector<hsize_t> chunk(static_cast<std::size_t>(rank));
  checked_status(H5Pget_chunk(dcpl.id(), rank, chunk.data()),
                 "reading the chunk shape of " + path_);
  return {chunk.begin(), chunk.end()};
}

template <class T>
bool DataSet::raw_chunks_are() const {
  if (chunk_dims().empty()) return false;
  Handle dcpl(checked(H5Dget_create_plist(id()), "reading the layout of " + path_), H5Pclose);
  if (H5Pget_nfilters(dcpl.id()) != 0) return false;
  Handle type(checked(H5Dget_type(id()), "reading the type of " + path_), H5Tclose);
  return H5Tequal(type.id(), native_type<T>()) > 0;
}

template <class T>
void DataSet::read_chunk(const std::vector<std::int64_t>& offsets, std::span<T> out) const {
  std::string what = "reading the chunk of " + path_ + " at [";
  for (std::size_t i = 0; i < offsets.size(); ++i)
    what += (i ? ", " : "") + std::to_string(offsets[i]);
  what += "]";
  std::size_t elements = 1;
  for (auto c : chunk_dims()) elements *= static_cast<std::size_t>(c);
  if (out.size() != elements)
    throw Error("HDF5: " + what + ": buffer holds " + std::to_string(out.size()) +
                " values, a chunk " + std::to_string(elements));
  std::vector<hsize_t> offset(offsets.begin(), offsets.end());
  hsize_t bytes = 0;
  checked_status(H5Dget_chunk_storage_size(id(), offset.data(), &bytes), what);
  if (bytes != elements * sizeof(T))
    throw Error("HDF5: " + what + ": the stored chunk is not " + std::to_string(elements) +
                " raw values (never written?)");
  std::uint32_t filter_mask = 0;
  checked_status(H5Dread_chunk(id(), H5P_DEFAULT, offset.data(), &filter_mask, out.data()), what);
}

// --- Group ------------------------------------------------------------------------------

std::string Group::child_path(const std::string& name) const {
  return path_ + (path_.ends_with("/") ? "" : "/") + name;
}

bool Group::exists(const std::string& name) const {
  const htri_t e = H5Lexists(id(), name.c_str(), H5P_DEFAULT);
  if (e < 0) throw Error("HDF5: failed checking for " + child_path(name));
  return e > 0;
}

Group Group::create_group(const std::string& name) {
  return Group(Handle(checked(H5Gcreate2(id(), name.c_str(), H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT),
                              "creating group " + child_path(name)),
                      H5Gclose),
               child_path(name), collective_);
}

Group Group::open_group(const std::string& name) const {
  if (!exists(name)) throw Error("HDF5: " + child_path(name) + " does not exist");
  return Group(Handle(checked(H5Gopen2(id(), name.c_str(), H5P_DEFAULT),
                              "opening group " + child_path(name)),
                      H5Gclose),
               child_path(name), collective_);
}

Group Group::require_group(const std::string& name) {
  return exists(name) ? open_group(name) : create_group(name);
}

void Group::unlink(const std::string& name) {
  if (exists(name))
    checked_status(H5Ldelete(id(), name.c_str(), H5P_DEFAULT), "deleting " + child_path(name));
}

std::vector<std::string> Group::children() const {
  std::vector<std::string> names;
  auto visit = [](hid_t, const char* name, const H5L_info_t*, void* data) -> herr_t {
    static_cast<std::vector<std::string>*>(data)->emplace_back(name);
    return 0;
  };
  hsize_t index = 0;
  checked_status(H5Literate(id(), H5_INDEX_NAME, H5_ITER_INC, &index, visit, &names),
                 "listing " + path_);
  return names;
}

template <class T>
DataSet Group::create_dataset(const std::string& name, const std::vector<std::int64_t>& dims,
                              const Layout& layout) {
  const std::string what = "creating dataset " + child_path(name);
  Handle space = simple_space(dims, what);
  Handle dcpl = property_list(H5P_DATASET_CREATE, what);
  if (!layout.chunk.empty()) {
    std::vector<hsize_t> chunk(layout.chunk.begin(), layout.chunk.end());
    checked_status(H5Pset_chunk(dcpl.id(), static_cast<int>(chunk.size()), chunk.data()), what);
    if (layout.compression > 0) {
      checked_status(H5Pset_shuffle(dcpl.id()), what);
      checked_status(H5Pset_deflate(dcpl.id(), static_cast<unsigned>(layout.compression)), what);
    }
  }
  // Parallel HDF5 cannot write fill values lazily; none is needed since pancan writes it all.
  checked_status(H5Pset_fill_time(dcpl.id(), H5D_FILL_TIME_NEVER), what);
  return DataSet(Handle(checked(H5Dcreate2(id(), name.c_str(), native_type<T>(), space.id(),
                                           H5P_DEFAULT, dcpl.id(), H5P_DEFAULT),
                                what),
                        H5Dclose),
                 child_path(name), collective_);
}

DataSet Group::open_dataset(const std::string& name) const {
  if (!exists(name)) throw Error("HDF5: " + child_path(name) + " does not exist");
  return DataSet(Handle(checked(H5Dopen2(id(), name.c_str(), H5P_DEFAULT),
                                "opening dataset " + child_path(name)),
                        H5Dclose),
                 child_path(name), collective_);
}

template <class T>
DataSet Group::write_vector(const std::string& name, std::span<const T> values) {
  unlink(name);
  DataSet ds = create_dataset<T>(name, {static_cast<std::int64_t>(values.size())});
  ds.write(values);
  return ds;
}

template <class T>
DataSet Group::rewrite_vector(const std::string& name, std::span<const T> values) {
  if (exists(name)) {
    DataSet ds = open_dataset(name);
    const auto dims = ds.dims();
    Handle type(checked(H5Dget_type(ds.id()), "reading the type of " + ds.path()), H5Tclose);
    if (dims.size() == 1 && dims[0] == static_cast<std::int64_t>(values.size()) &&
        H5Tequal(type.id(), native_type<T>()) > 0) {
      ds.write(values);
      return ds;
    }
  }
  return write_vector(name, values);
}

DataSet Group::write_bools(const std::string& name, const std::vector<bool>& values) {
  unlink(name);
  const std::string what = "writing " + child_path(name);
  Handle type = bool_type();
  Handle space = simple_space({static_cast<std::int64_t>(values.size())}, what);
  DataSet ds(Handle(checked(H5Dcreate2(id(), name.c_str(), type.id(), space.id(), H5P_DEFAULT,
                                       H5P_DEFAULT, H5P_DEFAULT),
                            what),
                    H5Dclose),
             child_path(name), collective_);
  std::vector<std::int8_t> raw(values.begin(), values.end());
  Handle dxpl = collective_transfer(collective_, what);
  checked_status(H5Dwrite(ds.id(), type.id(), H5S_ALL, H5S_ALL, dxpl.id(), raw.data()), what);
  return ds;
}

DataSet Group::write_strings(const std::string& name, const std::vector<std::string>& values) {
  unlink(name);
  const std::string what = "writing " + child_path(name);
  Handle type = utf8_string_type();
  Handle space = simple_space({static_cast<std::int64_t>(values.size())}, what);
  DataSet ds(Handle(checked(H5Dcreate2(id(), name.c_str(), type.id(), space.id(), H5P_DEFAULT,
                                       H5P_DEFAULT, H5P_DEFAULT),
                            what),
                    H5Dclose),
             child_path(name), collective_);
  std::vector<const char*> raw;
  raw.reserve(values.size());
  for (const auto& v : values) raw.push_back(v.c_str());
  // Variable-length data cannot be written collectively; independent I/O of identical
  // data from every rank is what parallel HDF5 expects here.
  if (!values.empty()) {
    Handle dxpl = string_transfer(values.size(), what);
    checked_status(H5Dwrite(ds.id(), type.id(), H5S_ALL, H5S_ALL, dxpl.id(), raw.data()), what);
  }
  return ds;
}

DataSet Group::write_string_scalar(const std::string& name, const std::string& value) {
  unlink(name);
  const std::string what = "writing " + child_path(name);
  Handle type = utf8_string_type();
  Handle space = scalar_space(what);
  DataSet ds(Handle(checked(H5Dcreate2(id(), name.c_str(), type.id(), space.id(), H5P_DEFAULT,
                                       H5P_DEFAULT, H5P_DEFAULT),
                            what),
                    H5Dclose),
             child_path(name), collective_);
  const char* raw = value.c_str();
  Handle dxpl = string_transfer(1, what);
  checked_status(H5Dwrite(ds.id(), type.id(), H5S_ALL, H5S_ALL, dxpl.id(), &raw), what);
  return ds;
}

template <class T>
DataSet Group::write_scalar(const std::string& name, T value) {
  unlink(name);
  const std::string what = "writing " + child_path(name);
  Handle space = scalar_space(what);
  DataSet ds(Handle(checked(H5Dcreate2(id(), name.c_str(), native_type<T>(), space.id(),
                                       H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT),
                            what),
                    H5Dclose),
             child_path(name), collective_);
  ds.write(std::span<const T>(&value, 1), {}, {});
  return ds;
}

template <class T>
std::vector<T> Group::read_vector(const std::string& name) const {
  return open_dataset(name).read_all<T>();
}

std::vector<bool> Group::read_bools(const std::string& name) const {
  DataSet ds = open_dataset(name);
  const auto d = ds.dims();
  std::vector<std::int8_t> raw(d.empty() ? 1 : static_cast<std::size_t>(d[0]));
  Handle type = bool_type();
  if (!raw.empty())
    checked_status(H5Dread(ds.id(), type.id(), H5S_ALL, H5S_ALL, H5P_DEFAULT, raw.data()),
                   "reading " + ds.path());
  return {raw.begin(), raw.end()};
}

std::vector<std::string> Group::read_strings(const std::string& name) const {
  DataSet ds = open_dataset(name);
  return read_vlen_strings(ds.id(), false, ds.path());
}

std::string Group::read_string_scalar(const std::string& name) const {
  auto values = read_strings(name);
  if (values.size() != 1) throw Error("HDF5: " + child_path(name) + " is not a scalar string");
  return values.front();
}

template <class T>
T Group::read_scalar(const std::string& name) const {
  DataSet ds = open_dataset(name);
  T value{};
  ds.read(std::span<T>(&value, 1), {}, {});
  return value;
}

// --- File -------------------------------------------------------------------------------

namespace {
Handle access_list(const std::string& path, const mpi::Comm* comm,
                   const File::IoHints& hints = {}) {
  Handle fapl = property_list(H5P_FILE_ACCESS, path);
  if (comm != nullptr) {
    MPI_Info info = MPI_INFO_NULL;
    if (!hints.empty()) {
      mpi::check(MPI_Info_create(&info), "MPI_Info_create");
      for (const auto& [key, value] : hints) MPI_Info_set(info, key.c_str(), value.c_str());
    }
    // HDF5 keeps its own copy of the hints.
    const herr_t status = H5Pset_fapl_mpio(fapl.id(), comm->raw(), info);
    if (info != MPI_INFO_NULL) MPI_Info_free(&info);
    checked_status(status, "setting up MPI-IO access to " + path);
  }
  // Newest format: compact attribute storage and faster metadata; h5py/anndata read it.
  checked_status(H5Pset_libver_bounds(fapl.id(), H5F_LIBVER_V18, H5F_LIBVER_LATEST), path);
  return fapl;
}
}  // namespace

File File::create(const std::string& path, const mpi::Comm* comm) {
  Handle fapl = access_list(path, comm);
  Handle file(checked(H5Fcreate(path.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, fapl.id()),
                      "creating " + path + " (is the directory there and writable?)"),
              H5Fclose);
  return File(std::move(file), path, comm != nullptr);
}

File File::open(const std::string& path, Mode mode, const mpi::Comm* comm) {
  return open_file(path, mode, comm, {});
}

File File::open(const std::string& path, Mode mode, const mpi::Comm& comm, const IoHints& hints) {
  return open_file(path, mode, &comm, hints);
}

File File::open_file(const std::string& path, Mode mode, const mpi::Comm* comm,
                     const IoHints& hints) {
  if (!is_hdf5(path)) throw Error(path + ": not an HDF5 file (or not readable)");
  Handle fapl = access_list(path, comm, hints);
  const hid_t id =
      H5Fopen(path.c_str(), mode == Mode::ReadOnly ? H5F_ACC_RDONLY : H5F_ACC_RDWR, fapl.id());
  // The signature was there (is_hdf5), so the rest is missing or damaged: most often a
  // copy or a write that stopped early.
  if (id < 0)
    throw Error(path + ": cannot open this HDF5 file (truncated or damaged? h5dump " + path +
                " may say more)");
  Handle file(id, H5Fclose);
  return File(std::move(file), path, comm != nullptr);
}

bool File::is_hdf5(const std::string& path) {
  H5E_BEGIN_TRY {
    const htri_t r = H5Fis_hdf5(path.c_str());
    return r > 0;
  }
  H5E_END_TRY;
  return false;
}

Group File::root() const {
  return Group(
      Handle(checked(H5Gopen2(handle_.id(), "/", H5P_DEFAULT), "opening / of " + path_), H5Gclose),
      path_ + ":/", parallel_);
}

void File::flush() {
  checked_status(H5Fflush(handle_.id(), H5F_SCOPE_GLOBAL), "flushing " + path_);
}

void File::close() {
  if (!handle_.valid()) return;
  // Close through the C API so a failure (e.g. disk full on the final flush) is seen.
  checked_status(H5Fclose(handle_.release()), "closing " + path_);
}

void silence_library_errors() { H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr); }

// --- explicit instantiations ----------------------------------------------------------------

#define PANCAN_H5_INSTANTIATE(T)                                                                  \
  template void DataSet::write<T>(std::span<const T>, const std::vector<std::int64_t>&,           \
                                  const std::vector<std::int64_t>&);                              \
  template void DataSet::read<T>(std::span<T>, const std::vector<std::int64_t>&,                  \
                                 const std::vector<std::int64_t>&) const;                         \
  template std::vector<T> DataSet::read_all<T>() const;                                           \
  template bool DataSet::raw_chunks_are<T>() const;                                               \
  template void DataSet::read_chunk<T>(const std::vector<std::int64_t>&, std::span<T>) const;     \
  template DataSet Group::create_dataset<T>(const std::string&, const std::vector<std::int64_t>&, \
                                            const Layout&);                                       \
  template DataSet Group::write_vector<T>(const std::string&, std::span<const T>);                \
  template DataSet Group::rewrite_vector<T>(const std::string&, std::span<const T>);              \
  template DataSet Group::write_scalar<T>(const std::string&, T);                                 \
  template std::vector<T> Group::read_vector<T>(const std::string&) const;                        \
  template T Group::read_scalar<T>(const std::string&) const;

PANCAN_H5_INSTANTIATE(float)
PANCAN_H5_INSTANTIATE(double)
PANCAN_H5_INSTANTIATE(std::int8_t)
PANCAN_H5_INSTANTIATE(std::uint8_t)
PANCAN_H5_INSTANTIATE(std::int32_t)
PANCAN_H5_INSTANTIATE(std::int64_t)
PANCAN_H5_INSTANTIATE(std::uint64_t)

}  // namespace pancan::h5
