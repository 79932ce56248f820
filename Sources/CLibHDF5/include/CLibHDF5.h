// The system libhdf5 (Debian: libhdf5-dev, serial build) and its high-level file-image call, loaded on first
// use (dlopen), never linked: libhdf5 and what it links (libcurl, GnuTLS, Kerberos, LDAP: about 35 libraries)
// cost every `slipway` process ~8 ms of dynamic loading, and only a Keras model needs them. HDF5's property-list
// and type constants are macros over globals, which Swift cannot import; these wrappers name what the Keras
// reader needs, and the `slipway_H5*` ones forward the library calls Swift makes. Every wrapper fails (-1, 0 or
// UINT64_MAX) while the library is not loaded. The library is not thread-safe: callers serialise.
#ifndef SLIPWAY_CLIBHDF5_H
#define SLIPWAY_CLIBHDF5_H
#include <stddef.h>
#include <stdint.h>
// Debian installs the serial build's headers in a folder of their own; elsewhere they are on the include path.
#if __has_include(<hdf5/serial/hdf5.h>)
#include <hdf5/serial/hdf5.h>
#include <hdf5/serial/hdf5_hl.h>
#else
#include <hdf5.h>
#include <hdf5_hl.h>
#endif

/// Loads libhdf5 (once; later calls return the first answer): 0 when it is loaded, -1 otherwise.
int slipway_h5_load(void);
/// Why the library could not be loaded (dlopen's message, or the version found), or NULL.
const char *slipway_h5_load_error(void);

/// The first occurrence of `needle` in `haystack` (glibc's memmem, for the HDF5 guard's signature scan).
const void *slipway_memmem(const void *haystack, size_t count, const void *needle, size_t length);

/// Opens the library and silences its error stack printer (errors come back as negative returns). Debian's
/// build is thread-safe, where the printer is set per thread: call before each use.
int slipway_h5_init(void);

/// Opens a read-only file image in place: the caller's bytes are neither copied nor freed by HDF5.
hid_t slipway_h5_open_image(const void *bytes, size_t count);

hid_t slipway_h5_open_group(hid_t loc, const char *name);

hid_t slipway_h5_open_dataset(hid_t loc, const char *name);

hid_t slipway_h5_open_attribute(hid_t loc, const char *name);

int slipway_h5_link_exists(hid_t loc, const char *name);

int slipway_h5_attribute_exists(hid_t loc, const char *name);

/// The C string type of the variable-length form, for reading an attribute into `char *` pointers.
hid_t slipway_h5_vlen_string_type(void);

/// Reads a variable-length string attribute of `count` elements into `out`; free with `slipway_h5_free_strings`.
int slipway_h5_read_vlen_strings(hid_t attribute, char **out);

void slipway_h5_free_strings(char **strings, size_t count);

/// Reads a fixed-length string attribute's raw bytes (`count` × the type's size) into `out`.
int slipway_h5_read_fixed(hid_t attribute, hid_t type, void *out);

int slipway_h5_class(hid_t type);

int slipway_h5_class_float(void);

int slipway_h5_class_integer(void);

int slipway_h5_class_string(void);

int slipway_h5_class_enum(void);

int slipway_h5_is_little_endian(hid_t type);

int slipway_h5_is_signed(hid_t type);

/// A dataset's layout: 0 compact, 1 contiguous, 2 chunked, -1 unknown.
int slipway_h5_layout(hid_t dataset);

/// How many filters (compression, shuffle) the dataset's creation list applies.
int slipway_h5_filter_count(hid_t dataset);

/// The byte offset of a contiguous dataset's data in the file, or UINT64_MAX when it has none.
uint64_t slipway_h5_offset(hid_t dataset);

/// Reads a whole dataset in its own stored type (no conversion) into `out`.
int slipway_h5_read_dataset_raw(hid_t dataset, void *out);

/// How many links a group holds, or -1.
long long slipway_h5_link_count(hid_t group);

/// The name of a group's `index`th link in name order into `out` (at most `size` bytes with the NUL);
/// returns the name's full length, or -1.
long long slipway_h5_link_name(hid_t group, unsigned long long index, char *out, size_t size);

/// The address of the object the hard link `name` in `group` points to, or UINT64_MAX when it is a soft or
/// external link or cannot be read. Walks of a hostile image follow hard links only, each object once: hard
/// links can make cycles (a group linking itself twice doubles the walk at every level), a soft link names any
/// path, and an external link names a file on disk, which libhdf5 would open by path.
uint64_t slipway_h5_hard_link_target(hid_t group, const char *name);

herr_t slipway_H5Fclose(hid_t id);
herr_t slipway_H5Gclose(hid_t id);
herr_t slipway_H5Dclose(hid_t id);
herr_t slipway_H5Aclose(hid_t id);
herr_t slipway_H5Sclose(hid_t id);
herr_t slipway_H5Tclose(hid_t id);
size_t slipway_H5Tget_size(hid_t id);
htri_t slipway_H5Tis_variable_str(hid_t id);
hssize_t slipway_H5Sget_simple_extent_npoints(hid_t id);
int slipway_H5Sget_simple_extent_ndims(hid_t id);
int slipway_H5Sget_simple_extent_dims(hid_t id, hsize_t dims[], hsize_t maxdims[]);
htri_t slipway_H5Lexists(hid_t loc, const char *name, hid_t lapl);
hid_t slipway_H5Dget_type(hid_t id);
hid_t slipway_H5Dget_space(hid_t id);
hid_t slipway_H5Aget_type(hid_t id);
hid_t slipway_H5Aget_space(hid_t id);

#endif
