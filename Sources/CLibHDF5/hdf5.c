// libhdf5 through dlopen: see include/CLibHDF5.h.
#define _GNU_SOURCE
#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include "CLibHDF5.h"

// 1.12 replaced the link info's address by a token; either names the object a hard link points to.
#if H5_VERSION_GE(1, 12, 0)
#define SLIPWAY_H5_LINK_INFO(X) X(H5Lget_info2)
#else
#define SLIPWAY_H5_LINK_INFO(X) X(H5Lget_info)
#endif

#define SLIPWAY_H5_FUNCTIONS(X) \
    X(H5Aclose) \
    X(H5Aexists) \
    X(H5Aget_space) \
    X(H5Aget_type) \
    X(H5Aopen) \
    X(H5Aread) \
    X(H5Dclose) \
    X(H5Dget_create_plist) \
    X(H5Dget_offset) \
    X(H5Dget_space) \
    X(H5Dget_type) \
    X(H5Dopen2) \
    X(H5Dread) \
    X(H5Eset_auto2) \
    X(H5Fclose) \
    X(H5Gclose) \
    X(H5Gget_info) \
    X(H5Gopen2) \
    X(H5LTopen_file_image) \
    X(H5Lexists) \
    X(H5Lget_name_by_idx) \
    SLIPWAY_H5_LINK_INFO(X) \
    X(H5Pclose) \
    X(H5Pget_layout) \
    X(H5Pget_nfilters) \
    X(H5Sclose) \
    X(H5Sget_simple_extent_dims) \
    X(H5Sget_simple_extent_ndims) \
    X(H5Sget_simple_extent_npoints) \
    X(H5Tclose) \
    X(H5Tcopy) \
    X(H5Tget_class) \
    X(H5Tget_cset) \
    X(H5Tget_order) \
    X(H5Tget_sign) \
    X(H5Tget_size) \
    X(H5Tis_variable_str) \
    X(H5Tset_cset) \
    X(H5Tset_size) \
    X(H5free_memory) \
    X(H5get_libversion) \
    X(H5open)

#define SLIPWAY_H5_POINTER(name) static __typeof__(name) *slipway_p_##name;
SLIPWAY_H5_FUNCTIONS(SLIPWAY_H5_POINTER)
static __typeof__(H5T_C_S1_g) *slipway_p_H5T_C_S1_g;

static pthread_once_t slipway_h5_once = PTHREAD_ONCE_INIT;
static int slipway_h5_loaded = 0;
static char slipway_h5_error[512];

/// The names the serial build's high-level library goes by (it loads the main library as its dependency):
/// Debian's, then the plain upstream names, the versioned SONAMEs first.
static const char *const slipway_h5_names[] = {
    "libhdf5_serial_hl.so.100", "libhdf5_hl.so.100", "libhdf5_serial_hl.so", "libhdf5_hl.so", NULL,
};

static void slipway_h5_load_once(void) {
    void *lib = NULL;
    for (int i = 0; slipway_h5_names[i] && !lib; i++) lib = dlopen(slipway_h5_names[i], RTLD_NOW | RTLD_LOCAL);
    if (!lib) {
        const char *e = dlerror();
        snprintf(slipway_h5_error, sizeof slipway_h5_error, "libhdf5 cannot be loaded (%s)", e ? e : "not found");
        return;
    }
#define SLIPWAY_H5_SYMBOL(name)                                                                                   \
    if (!(slipway_p_##name = (__typeof__(name) *)dlsym(lib, #name))) {                                           \
        snprintf(slipway_h5_error, sizeof slipway_h5_error, "libhdf5 has no %s", #name);                         \
        return;                                                                                                  \
    }
    SLIPWAY_H5_FUNCTIONS(SLIPWAY_H5_SYMBOL)
    if (!(slipway_p_H5T_C_S1_g = (__typeof__(H5T_C_S1_g) *)dlsym(lib, "H5T_C_S1_g"))) {
        snprintf(slipway_h5_error, sizeof slipway_h5_error, "libhdf5 has no H5T_C_S1_g");
        return;
    }
    // The types and constants were compiled from this version's headers: refuse another major.minor.
    unsigned major = 0, minor = 0, release = 0;
    if (slipway_p_H5get_libversion(&major, &minor, &release) < 0 || major != H5_VERS_MAJOR || minor != H5_VERS_MINOR) {
        snprintf(slipway_h5_error, sizeof slipway_h5_error, "libhdf5 %u.%u.%u is loaded, built for %d.%d", major, minor,
                 release, H5_VERS_MAJOR, H5_VERS_MINOR);
        return;
    }
    slipway_h5_loaded = 1;
}

int slipway_h5_load(void) {
    pthread_once(&slipway_h5_once, slipway_h5_load_once);
    return slipway_h5_loaded ? 0 : -1;
}

const char *slipway_h5_load_error(void) {
    slipway_h5_load();
    return slipway_h5_loaded ? NULL : slipway_h5_error;
}

// From here on, the library's names call through the loaded pointers.

#define H5Aclose (*slipway_p_H5Aclose)
#define H5Aexists (*slipway_p_H5Aexists)
#define H5Aget_space (*slipway_p_H5Aget_space)
#define H5Aget_type (*slipway_p_H5Aget_type)
#define H5Aopen (*slipway_p_H5Aopen)
#define H5Aread (*slipway_p_H5Aread)
#define H5Dclose (*slipway_p_H5Dclose)
#define H5Dget_create_plist (*slipway_p_H5Dget_create_plist)
#define H5Dget_offset (*slipway_p_H5Dget_offset)
#define H5Dget_space (*slipway_p_H5Dget_space)
#define H5Dget_type (*slipway_p_H5Dget_type)
#define H5Dopen2 (*slipway_p_H5Dopen2)
#define H5Dread (*slipway_p_H5Dread)
#define H5Eset_auto2 (*slipway_p_H5Eset_auto2)
#define H5Fclose (*slipway_p_H5Fclose)
#define H5Gclose (*slipway_p_H5Gclose)
#define H5Gget_info (*slipway_p_H5Gget_info)
#define H5Gopen2 (*slipway_p_H5Gopen2)
#define H5LTopen_file_image (*slipway_p_H5LTopen_file_image)
#define H5Lexists (*slipway_p_H5Lexists)
#define H5Lget_name_by_idx (*slipway_p_H5Lget_name_by_idx)
#if H5_VERSION_GE(1, 12, 0)
#define H5Lget_info2 (*slipway_p_H5Lget_info2)
#else
#define H5Lget_info (*slipway_p_H5Lget_info)
#endif
#define H5Pclose (*slipway_p_H5Pclose)
#define H5Pget_layout (*slipway_p_H5Pget_layout)
#define H5Pget_nfilters (*slipway_p_H5Pget_nfilters)
#define H5Sclose (*slipway_p_H5Sclose)
#define H5Sget_simple_extent_dims (*slipway_p_H5Sget_simple_extent_dims)
#define H5Sget_simple_extent_ndims (*slipway_p_H5Sget_simple_extent_ndims)
#define H5Sget_simple_extent_npoints (*slipway_p_H5Sget_simple_extent_npoints)
#define H5Tclose (*slipway_p_H5Tclose)
#define H5Tcopy (*slipway_p_H5Tcopy)
#define H5Tget_class (*slipway_p_H5Tget_class)
#define H5Tget_cset (*slipway_p_H5Tget_cset)
#define H5Tget_order (*slipway_p_H5Tget_order)
#define H5Tget_sign (*slipway_p_H5Tget_sign)
#define H5Tget_size (*slipway_p_H5Tget_size)
#define H5Tis_variable_str (*slipway_p_H5Tis_variable_str)
#define H5Tset_cset (*slipway_p_H5Tset_cset)
#define H5Tset_size (*slipway_p_H5Tset_size)
#define H5free_memory (*slipway_p_H5free_memory)
#define H5get_libversion (*slipway_p_H5get_libversion)
#define H5open (*slipway_p_H5open)
#undef H5T_C_S1_g
#define H5T_C_S1_g (*slipway_p_H5T_C_S1_g)


/// The first occurrence of `needle` in `haystack` (glibc's memmem, for the HDF5 guard's signature scan).
const void *slipway_memmem(const void *haystack, size_t count, const void *needle, size_t length) {
    return memmem(haystack, count, needle, length);
}

/// Opens the library and silences its error stack printer (errors come back as negative returns). Debian's
/// build is thread-safe, where the printer is set per thread: call before each use.
int slipway_h5_init(void) {
    if (slipway_h5_load() < 0) return -1;
    if (H5open() < 0) return -1;
    return H5Eset_auto2(H5E_DEFAULT, NULL, NULL) < 0 ? -1 : 0;
}

/// Opens a read-only file image in place: the caller's bytes are neither copied nor freed by HDF5.
hid_t slipway_h5_open_image(const void *bytes, size_t count) {
    if (!slipway_h5_loaded) return -1;
    return H5LTopen_file_image((void *)bytes, count, H5LT_FILE_IMAGE_DONT_COPY | H5LT_FILE_IMAGE_DONT_RELEASE);
}

hid_t slipway_h5_open_group(hid_t loc, const char *name) {
    if (!slipway_h5_loaded) return -1; return H5Gopen2(loc, name, H5P_DEFAULT); }
hid_t slipway_h5_open_dataset(hid_t loc, const char *name) {
    if (!slipway_h5_loaded) return -1; return H5Dopen2(loc, name, H5P_DEFAULT); }
hid_t slipway_h5_open_attribute(hid_t loc, const char *name) {
    if (!slipway_h5_loaded) return -1; return H5Aopen(loc, name, H5P_DEFAULT); }
int slipway_h5_link_exists(hid_t loc, const char *name) {
    if (!slipway_h5_loaded) return -1; return (int)H5Lexists(loc, name, H5P_DEFAULT); }
int slipway_h5_attribute_exists(hid_t loc, const char *name) {
    if (!slipway_h5_loaded) return -1; return (int)H5Aexists(loc, name); }

/// The C string type of the variable-length form, for reading an attribute into `char *` pointers.
hid_t slipway_h5_vlen_string_type(void) {
    if (!slipway_h5_loaded) return -1;
    hid_t t = H5Tcopy(H5T_C_S1);
    if (t < 0) return t;
    if (H5Tset_size(t, H5T_VARIABLE) < 0) { H5Tclose(t); return -1; }
    return t;
}

/// Reads a variable-length string attribute of `count` elements into `out`; free with `slipway_h5_free_strings`.
int slipway_h5_read_vlen_strings(hid_t attribute, char **out) {
    if (!slipway_h5_loaded) return -1;
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

void slipway_h5_free_strings(char **strings, size_t count) {
    if (!slipway_h5_loaded) return;
    for (size_t i = 0; i < count; i++) if (strings[i]) H5free_memory(strings[i]);
}

/// Reads a fixed-length string attribute's raw bytes (`count` × the type's size) into `out`.
int slipway_h5_read_fixed(hid_t attribute, hid_t type, void *out) {
    if (!slipway_h5_loaded) return -1;
    return H5Aread(attribute, type, out) < 0 ? -1 : 0;
}

int slipway_h5_class(hid_t type) {
    if (!slipway_h5_loaded) return -1; return (int)H5Tget_class(type); }
int slipway_h5_class_float(void) {
    if (!slipway_h5_loaded) return -1; return (int)H5T_FLOAT; }
int slipway_h5_class_integer(void) {
    if (!slipway_h5_loaded) return -1; return (int)H5T_INTEGER; }
int slipway_h5_class_string(void) {
    if (!slipway_h5_loaded) return -1; return (int)H5T_STRING; }
int slipway_h5_class_enum(void) {
    if (!slipway_h5_loaded) return -1; return (int)H5T_ENUM; }
int slipway_h5_is_little_endian(hid_t type) {
    if (!slipway_h5_loaded) return -1; return H5Tget_order(type) == H5T_ORDER_LE; }
int slipway_h5_is_signed(hid_t type) {
    if (!slipway_h5_loaded) return -1; return H5Tget_sign(type) == H5T_SGN_2; }

/// A dataset's layout: 0 compact, 1 contiguous, 2 chunked, -1 unknown.
int slipway_h5_layout(hid_t dataset) {
    if (!slipway_h5_loaded) return -1;
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
int slipway_h5_filter_count(hid_t dataset) {
    if (!slipway_h5_loaded) return -1;
    hid_t p = H5Dget_create_plist(dataset);
    if (p < 0) return -1;
    int n = H5Pget_nfilters(p);
    H5Pclose(p);
    return n;
}

/// The byte offset of a contiguous dataset's data in the file, or UINT64_MAX when it has none.
uint64_t slipway_h5_offset(hid_t dataset) {
    if (!slipway_h5_loaded) return UINT64_MAX;
    haddr_t a = H5Dget_offset(dataset);
    return a == HADDR_UNDEF ? UINT64_MAX : (uint64_t)a;
}

/// Reads a whole dataset in its own stored type (no conversion) into `out`.
int slipway_h5_read_dataset_raw(hid_t dataset, void *out) {
    if (!slipway_h5_loaded) return -1;
    hid_t t = H5Dget_type(dataset);
    if (t < 0) return -1;
    herr_t r = H5Dread(dataset, t, H5S_ALL, H5S_ALL, H5P_DEFAULT, out);
    H5Tclose(t);
    return r < 0 ? -1 : 0;
}

/// How many links a group holds, or -1.
long long slipway_h5_link_count(hid_t group) {
    if (!slipway_h5_loaded) return -1;
    H5G_info_t info;
    if (H5Gget_info(group, &info) < 0) return -1;
    return (long long)info.nlinks;
}

/// The name of a group's `index`th link in name order into `out` (at most `size` bytes with the NUL);
/// returns the name's full length, or -1.
long long slipway_h5_link_name(hid_t group, unsigned long long index, char *out, size_t size) {
    if (!slipway_h5_loaded) return -1;
    return (long long)H5Lget_name_by_idx(group, ".", H5_INDEX_NAME, H5_ITER_INC, (hsize_t)index, out, size, H5P_DEFAULT);
}

/// The address of the object the hard link `name` in `group` points to, or UINT64_MAX for a soft or external
/// link (or a failure). See the header.
uint64_t slipway_h5_hard_link_target(hid_t group, const char *name) {
    if (!slipway_h5_loaded) return UINT64_MAX;
#if H5_VERSION_GE(1, 12, 0)
    H5L_info2_t info;
    if (H5Lget_info2(group, name, &info, H5P_DEFAULT) < 0 || info.type != H5L_TYPE_HARD) return UINT64_MAX;
    uint64_t address = 0;  // the native file format's token holds the object's address
    memcpy(&address, &info.u.token, sizeof address < sizeof info.u.token ? sizeof address : sizeof info.u.token);
    return address;
#else
    H5L_info_t info;
    if (H5Lget_info(group, name, &info, H5P_DEFAULT) < 0 || info.type != H5L_TYPE_HARD) return UINT64_MAX;
    return info.u.address == HADDR_UNDEF ? UINT64_MAX : (uint64_t)info.u.address;
#endif
}

herr_t slipway_H5Fclose(hid_t id) {
    if (!slipway_h5_loaded) return -1;
    return H5Fclose(id);
}

herr_t slipway_H5Gclose(hid_t id) {
    if (!slipway_h5_loaded) return -1;
    return H5Gclose(id);
}

herr_t slipway_H5Dclose(hid_t id) {
    if (!slipway_h5_loaded) return -1;
    return H5Dclose(id);
}

herr_t slipway_H5Aclose(hid_t id) {
    if (!slipway_h5_loaded) return -1;
    return H5Aclose(id);
}

herr_t slipway_H5Sclose(hid_t id) {
    if (!slipway_h5_loaded) return -1;
    return H5Sclose(id);
}

herr_t slipway_H5Tclose(hid_t id) {
    if (!slipway_h5_loaded) return -1;
    return H5Tclose(id);
}

size_t slipway_H5Tget_size(hid_t id) {
    if (!slipway_h5_loaded) return 0;
    return H5Tget_size(id);
}

htri_t slipway_H5Tis_variable_str(hid_t id) {
    if (!slipway_h5_loaded) return -1;
    return H5Tis_variable_str(id);
}

hssize_t slipway_H5Sget_simple_extent_npoints(hid_t id) {
    if (!slipway_h5_loaded) return -1;
    return H5Sget_simple_extent_npoints(id);
}

int slipway_H5Sget_simple_extent_ndims(hid_t id) {
    if (!slipway_h5_loaded) return -1;
    return H5Sget_simple_extent_ndims(id);
}

int slipway_H5Sget_simple_extent_dims(hid_t id, hsize_t dims[], hsize_t maxdims[]) {
    if (!slipway_h5_loaded) return -1;
    return H5Sget_simple_extent_dims(id, dims, maxdims);
}

htri_t slipway_H5Lexists(hid_t loc, const char *name, hid_t lapl) {
    if (!slipway_h5_loaded) return -1;
    return H5Lexists(loc, name, lapl);
}

hid_t slipway_H5Dget_type(hid_t id) {
    if (!slipway_h5_loaded) return -1;
    return H5Dget_type(id);
}

hid_t slipway_H5Dget_space(hid_t id) {
    if (!slipway_h5_loaded) return -1;
    return H5Dget_space(id);
}

hid_t slipway_H5Aget_type(hid_t id) {
    if (!slipway_h5_loaded) return -1;
    return H5Aget_type(id);
}

hid_t slipway_H5Aget_space(hid_t id) {
    if (!slipway_h5_loaded) return -1;
    return H5Aget_space(id);
}

