// The system libhdf5 (Debian: libhdf5-dev, serial build) and its high-level file-image call. HDF5's
// property-list and type constants are macros over globals, which Swift cannot import; these inline
// wrappers name what the Keras reader needs. The library is not thread-safe: callers serialise.
#include <string.h>
// glibc declares memmem only under _GNU_SOURCE, and defining that here changes fd_set's member names in this
// module against SwiftGlibc's ("__fds_bits is not present in definition of fd_set"): declare it instead.
extern void *memmem(const void *haystack, size_t haystacklen, const void *needle, size_t needlelen);
#include <hdf5.h>
#include <hdf5_hl.h>
#include <stdint.h>

/// The first occurrence of `needle` in `haystack` (glibc's memmem, for the HDF5 guard's signature scan).
static inline const void *slipway_memmem(const void *haystack, size_t count, const void *needle, size_t length) {
    return memmem(haystack, count, needle, length);
}

/// Opens the library and silences its error stack printer (errors come back as negative returns). Debian's
/// build is thread-safe, where the printer is set per thread: call before each use.
static inline int slipway_h5_init(void) {
    if (H5open() < 0) return -1;
    return H5Eset_auto2(H5E_DEFAULT, NULL, NULL) < 0 ? -1 : 0;
}

/// Opens a read-only file image in place: the caller's bytes are neither copied nor freed by HDF5.
static inline hid_t slipway_h5_open_image(const void *bytes, size_t count) {
    return H5LTopen_file_image((void *)bytes, count, H5LT_FILE_IMAGE_DONT_COPY | H5LT_FILE_IMAGE_DONT_RELEASE);
}

static inline hid_t slipway_h5_open_group(hid_t loc, const char *name) { return H5Gopen2(loc, name, H5P_DEFAULT); }
static inline hid_t slipway_h5_open_dataset(hid_t loc, const char *name) { return H5Dopen2(loc, name, H5P_DEFAULT); }
static inline hid_t slipway_h5_open_attribute(hid_t loc, const char *name) { return H5Aopen(loc, name, H5P_DEFAULT); }
static inline int slipway_h5_link_exists(hid_t loc, const char *name) { return (int)H5Lexists(loc, name, H5P_DEFAULT); }
static inline int slipway_h5_attribute_exists(hid_t loc, const char *name) { return (int)H5Aexists(loc, name); }

/// The C string type of the variable-length form, for reading an attribute into `char *` pointers.
static inline hid_t slipway_h5_vlen_string_type(void) {
    hid_t t = H5Tcopy(H5T_C_S1);
    if (t < 0) return t;
    if (H5Tset_size(t, H5T_VARIABLE) < 0) { H5Tclose(t); return -1; }
    return t;
}

/// Reads a variable-length string attribute of `count` elements into `out`; free with `slipway_h5_free_strings`.
static inline int slipway_h5_read_vlen_strings(hid_t attribute, char **out) {
    hid_t t = slipway_h5_vlen_string_type();
    if (t < 0) return -1;
    // HDF5 converts no character sets: read UTF-8 (h5py's str) as UTF-8, ASCII (bytes) as ASCII.
    hid_t stored = H5Aget_type(attribute);
    if (stored < 0) { H5Tclose(t); return -1; }
    H5T_cset_t cset = H5Tget_cset(stored);
    H5Tclose(stored);
    if (cset < 0 || H5Tset_cset(t, cset) < 0) { H5Tclose(t); return -1; }
    herr_t r = H5Aread(attribute, t, out);
    H5Tclose(t);
    return r < 0 ? -1 : 0;
}

static inline void slipway_h5_free_strings(char **strings, size_t count) {
    for (size_t i = 0; i < count; i++) if (strings[i]) H5free_memory(strings[i]);
}

/// Reads a fixed-length string attribute's raw bytes (`count` × the type's size) into `out`.
static inline int slipway_h5_read_fixed(hid_t attribute, hid_t type, void *out) {
    return H5Aread(attribute, type, out) < 0 ? -1 : 0;
}

static inline int slipway_h5_class(hid_t type) { return (int)H5Tget_class(type); }
static inline int slipway_h5_class_float(void) { return (int)H5T_FLOAT; }
static inline int slipway_h5_class_integer(void) { return (int)H5T_INTEGER; }
static inline int slipway_h5_class_string(void) { return (int)H5T_STRING; }
static inline int slipway_h5_class_enum(void) { return (int)H5T_ENUM; }
static inline int slipway_h5_is_little_endian(hid_t type) { return H5Tget_order(type) == H5T_ORDER_LE; }
static inline int slipway_h5_is_signed(hid_t type) { return H5Tget_sign(type) == H5T_SGN_2; }

/// A dataset's layout: 0 compact, 1 contiguous, 2 chunked, -1 unknown.
static inline int slipway_h5_layout(hid_t dataset) {
    hid_t p = H5Dget_create_plist(dataset);
    if (p < 0) return -1;
    H5D_layout_t l = H5Pget_layout(p);
    H5Pclose(p);
    switch (l) {
    case H5D_COMPACT: return 0;
    case H5D_CONTIGUOUS: return 1;
    case H5D_CHUNKED: return 2;
    default: return -1;
    }
}

/// How many filters (compression, shuffle) the dataset's creation list applies.
static inline int slipway_h5_filter_count(hid_t dataset) {
    hid_t p = H5Dget_create_plist(dataset);
    if (p < 0) return -1;
    int n = H5Pget_nfilters(p);
    H5Pclose(p);
    return n;
}

/// The byte offset of a contiguous dataset's data in the file, or UINT64_MAX when it has none.
static inline uint64_t slipway_h5_offset(hid_t dataset) {
    haddr_t a = H5Dget_offset(dataset);
    return a == HADDR_UNDEF ? UINT64_MAX : (uint64_t)a;
}

/// Reads a whole dataset in its own stored type (no conversion) into `out`.
static inline int slipway_h5_read_dataset_raw(hid_t dataset, void *out) {
    hid_t t = H5Dget_type(dataset);
    if (t < 0) return -1;
    herr_t r = H5Dread(dataset, t, H5S_ALL, H5S_ALL, H5P_DEFAULT, out);
    H5Tclose(t);
    return r < 0 ? -1 : 0;
}

/// How many links a group holds, or -1.
static inline long long slipway_h5_link_count(hid_t group) {
    H5G_info_t info;
    if (H5Gget_info(group, &info) < 0) return -1;
    return (long long)info.nlinks;
}

/// The name of a group's `index`th link in name order into `out` (at most `size` bytes with the NUL);
/// returns the name's full length, or -1.
static inline long long slipway_h5_link_name(hid_t group, unsigned long long index, char *out, size_t size) {
    return (long long)H5Lget_name_by_idx(group, ".", H5_INDEX_NAME, H5_ITER_INC, (hsize_t)index, out, size, H5P_DEFAULT);
}
