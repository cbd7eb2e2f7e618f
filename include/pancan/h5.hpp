// RAII over the HDF5 C API. No raw hid_t leaves this header: files, groups, datasets and
// attributes are objects that close themselves, every call is checked, and a failure
// throws pancan::Error naming what was being done and on which file.
//
// Files are opened either serially or, given an mpi::Comm, with the MPI-IO driver; in
// the parallel case every rank must make the same metadata calls (create, attributes)
// and may pass different hyperslabs to DataSet::write / DataSet::read (collective).
#pragma once

#include <hdf5.h>

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "pancan/error.hpp"
#include "pancan/mpi.hpp"

namespace pancan::h5 {

// Owns one hid_t and closes it with the matching H5?close.
class Handle {
 public:
  using Closer = herr_t (*)(hid_t);
  Handle() = default;
  Handle(hid_t id, Closer closer) : id_(id), closer_(closer) {}
  ~Handle() { reset(); }
  Handle(Handle&& other) noexcept : id_(other.id_), closer_(other.closer_) { other.id_ = -1; }
  Handle& operator=(Handle&& other) noexcept;
  Handle(const Handle&) = delete;
  Handle& operator=(const Handle&) = delete;
  hid_t id() const { return id_; }
  bool valid() const { return id_ >= 0; }
  void reset();
  // Gives up ownership without closing; the caller closes the id.
  hid_t release() {
    const hid_t id = id_;
    id_ = -1;
    return id;
  }

 private:
  hid_t id_ = -1;
  Closer closer_ = nullptr;
};

// The HDF5 memory/file type for a C++ element type. bool maps to h5py's bool:
// an enum {FALSE = 0, TRUE = 1} over int8 (anndata rejects a plain int8 for bools).
template <class T>
hid_t native_type();
Handle bool_type();
Handle utf8_string_type();  // variable-length UTF-8 string

enum class Mode { ReadOnly, ReadWrite };

class Group;
class DataSet;

// Common to groups and datasets: attributes.
class Object {
 public:
  bool has_attribute(const std::string& name) const;
  void remove_attribute(const std::string& name);
  void set_attribute(const std::string& name, const std::string& value);  // scalar vlen UTF-8
  void set_attribute(const std::string& name, const char* value) {
    set_attribute(name, std::string(value));
  }
  void set_attribute(const std::string& name, const std::vector<std::string>& values);  // 1-D
  void set_attribute(const std::string& name, double value);
  void set_attribute(const std::string& name, std::int64_t value);
  void set_attribute(const std::string& name, bool value);  // h5py's bool enum
  std::string string_attribute(const std::string& name) const;
  std::vector<std::string> string_array_attribute(const std::string& name) const;
  double double_attribute(const std::string& name) const;
  std::int64_t int_attribute(const std::string& name) const;

  const std::string& path() const { return path_; }  // "file.h5:/obs/index", for messages
  hid_t id() const { return handle_.id(); }          // for h5.cpp and dataset code only

 protected:
  Object(Handle handle, std::string path) : handle_(std::move(handle)), path_(std::move(path)) {}
  Handle handle_;
  std::string path_;
};

class DataSet : public Object {
 public:
  std::vector<std::int64_t> dims() const;

  // Writes `data` (row-major, shape = counts) to the hyperslab at `offsets`. With a
  // parallel file every rank must call; a rank with nothing to write passes zero counts.
  template <class T>
  void write(std::span<const T> data, const std::vector<std::int64_t>& offsets,
             const std::vector<std::int64_t>& counts);
  // Whole-dataset write (serial files, or identical data on every rank of a parallel one).
  template <class T>
  void write(std::span<const T> data) {
    write(data, std::vector<std::int64_t>(dims().size(), 0), dims());
  }
  template <class T>
  void read(std::span<T> out, const std::vector<std::int64_t>& offsets,
            const std::vector<std::int64_t>& counts) const;
  template <class T>
  std::vector<T> read_all() const;

  // The chunk shape; empty for a contiguous dataset.
  std::vector<std::int64_t> chunk_dims() const;
  // True when every chunk is stored as is (no compression or other filter) and the
  // elements are T in the machine's layout: then read_chunk() can hand chunks over whole.
  template <class T>
  bool raw_chunks_are() const;
  // The stored bytes of the chunk starting at `offsets` (a multiple of chunk_dims()),
  // bypassing the chunk cache and the selection machinery: one read of chunk-size
  // elements, row-major over the full chunk shape (an edge chunk's padding is undefined).
  // Only when raw_chunks_are<T>().
  template <class T>
  void read_chunk(const std::vector<std::int64_t>& offsets, std::span<T> out) const;

 private:
  friend class Group;
  DataSet(Handle handle, std::string path, bool collective)
      : Object(std::move(handle), std::move(path)), collective_(collective) {}
  void transfer(bool writing, hid_t memory_type, void* buffer,
                const std::vector<std::int64_t>& offsets,
                const std::vector<std::int64_t>& counts) const;
  bool collective_;
};

// Options for a new dataset. chunk empty = contiguous.
struct Layout {
  std::vector<std::int64_t> chunk;
  int compression = 0;  // gzip level 0-9; 0 = none (needs chunk)
};

class Group : public Object {
 public:
  bool exists(const std::string& name) const;  // a direct child link
  Group create_group(const std::string& name);
  Group open_group(const std::string& name) const;
  Group require_group(const std::string& name);  // open or create
  void unlink(const std::string& name);
  std::vector<std::string> children() const;

  template <class T>
  DataSet create_dataset(const std::string& name, const std::vector<std::int64_t>& dims,
                         const Layout& layout = {});
  DataSet open_dataset(const std::string& name) const;

  // Small whole datasets, written from identical data on every rank.
  template <class T>
  DataSet write_vector(const std::string& name, std::span<const T> values);
  // The same, but into the existing dataset `name` when it already holds values.size()
  // elements of this type (its storage is overwritten where it is, not allocated anew).
  template <class T>
  DataSet rewrite_vector(const std::string& name, std::span<const T> values);
  DataSet write_bools(const std::string& name, const std::vector<bool>& values);
  DataSet write_strings(const std::string& name, const std::vector<std::string>& values);
  DataSet write_string_scalar(const std::string& name, const std::string& value);
  template <class T>
  DataSet write_scalar(const std::string& name, T value);
  template <class T>
  std::vector<T> read_vector(const std::string& name) const;
  std::vector<bool> read_bools(const std::string& name) const;
  std::vector<std::string> read_strings(const std::string& name) const;
  std::string read_string_scalar(const std::string& name) const;
  template <class T>
  T read_scalar(const std::string& name) const;

 private:
  friend class File;
  Group(Handle handle, std::string path, bool collective)
      : Object(std::move(handle), std::move(path)), collective_(collective) {}
  std::string child_path(const std::string& name) const;
  bool collective_;
};

class File {
 public:
  // Creates (truncating) `path`. With a communicator the file is opened with MPI-IO and
  // every rank of `comm` must call.
  static File create(const std::string& path, const mpi::Comm* comm = nullptr);
  static File open(const std::string& path, Mode mode, const mpi::Comm* comm = nullptr);
  // The same, handing MPI-IO these hints (key, value) for this file; an MPI-IO component
  // ignores keys it does not know.
  using IoHints = std::vector<std::pair<std::string, std::string>>;
  static File open(const std::string& path, Mode mode, const mpi::Comm& comm, const IoHints& hints);
  // True if `path` is an HDF5 file (false for missing or foreign files; never throws).
  static bool is_hdf5(const std::string& path);

  Group root() const;
  const std::string& path() const { return path_; }
  bool parallel() const { return parallel_; }
  void flush();
  void close();  // closes now, checking the result (the destructor closes quietly)

 private:
  static File open_file(const std::string& path, Mode mode, const mpi::Comm* comm,
                        const IoHints& hints);
  File(Handle handle, std::string path, bool parallel)
      : handle_(std::move(handle)), path_(std::move(path)), parallel_(parallel) {}
  Handle handle_;
  std::string path_;
  bool parallel_;
};

// Silences HDF5's own error stack printing (pancan reports errors itself). Called once
// at start-up by main() and the test mains.
void silence_library_errors();

}  // namespace pancan::h5
